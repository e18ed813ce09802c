#!/usr/bin/env python3
"""faultline batch over a Dask cluster: one task per shard (`faultline batch --shard I/N`), then one aggregate.

faultline brings no scheduler; this is the whole recipe. Each task runs one shard of the sorted input list into the
shared output directory; a second task per shard computes that shard's partial aggregate over the Parquet it wrote
(`faultline sql --json`, restricted to the shard's files); the client sums the partials. The same script runs on a
multi-machine cluster with --scheduler (inputs and output then on storage every worker sees).

  python3 tools/fleet_dask.py --workers 2 --shards 4 -o OUT INPUTS... [-- BATCH OPTIONS...]
  python3 tools/fleet_dask.py --scheduler tcp://host:8786 --shards 64 -o /shared/fleet /shared/traces -- --patch cow-pte

Prints one JSON object: the shards' one-line summaries and the aggregate per variant (processes, page-table bytes,
faults), summed from the per-shard partials.
"""
import argparse
import json
import os
import shlex
import subprocess
import sys

# the aggregate: per variant, over table processes (any SELECT with additive columns grouped by variant works)
PARTIAL_SQL = (
    "SELECT p.variant, count(*) AS processes, sum(p.pgtables_peak_bytes) AS pgtables_peak_bytes, sum(p.faults) AS faults "
    "FROM processes p JOIN traces t USING (trace_hash) WHERE t.file IN ({files}) GROUP BY p.variant"
)


def faultline():
    """The faultline command: $FAULTLINE (e.g. 'node /opt/faultline/dist/src/cli.js'), else `faultline` on PATH."""
    return shlex.split(os.environ.get("FAULTLINE", "faultline"))


def run(args):
    r = subprocess.run(faultline() + args, capture_output=True, text=True)
    if r.returncode != 0:
        last = (r.stderr.strip().splitlines() or [f"exit status {r.returncode}"])[-1]
        raise RuntimeError(f"faultline {' '.join(args[:1])}: {last}")
    return r.stdout


def run_shard(i, n, inputs, out, extra):
    """One task: this shard's traces into OUT; returns the batch's one-line summary and the shard's input list."""
    shard = ["--shard", f"{i}/{n}"]
    files = run(["batch", *inputs, "-o", out, *shard, *extra, "--dry-run"]).splitlines()
    summary = run(["batch", *inputs, "-o", out, *shard, "--jobs", "1", *extra]).strip()
    return {"shard": i, "files": files, "summary": summary}


def partial(done, out):
    """The shard's partial aggregate, from the Parquet parts it wrote."""
    if not done["files"]:
        return {}
    quoted = ", ".join("'" + f.replace("'", "''") + "'" for f in done["files"])
    rows = json.loads(run(["sql", out, PARTIAL_SQL.format(files=quoted), "--json"]))
    return {r["variant"]: {k: int(v) for k, v in r.items() if k != "variant"} for r in rows}


def combine(partials):
    total = {}
    for p in partials:
        for variant, cols in p.items():
            acc = total.setdefault(variant, {})
            for k, v in cols.items():
                acc[k] = acc.get(k, 0) + v
    return dict(sorted(total.items()))


def main(argv):
    extra = []
    if "--" in argv:
        at = argv.index("--")
        argv, extra = argv[:at], argv[at + 1 :]
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inputs", nargs="+", help="trace files, directories or globs (as faultline batch takes them)")
    ap.add_argument("-o", "--out", required=True, help="output directory every worker can write")
    ap.add_argument("--shards", type=int, default=8, help="tasks: --shard 0/N .. N-1/N (default 8)")
    ap.add_argument("--workers", type=int, default=2, help="LocalCluster workers (ignored with --scheduler)")
    ap.add_argument("--scheduler", help="address of a running Dask scheduler (tcp://host:8786)")
    a = ap.parse_args(argv)

    from dask.distributed import Client, LocalCluster

    cluster = None
    if a.scheduler:
        client = Client(a.scheduler)
    else:
        # one thread per worker process: each task is a faultline process that uses a core of its own
        cluster = LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        shards = [client.submit(run_shard, i, a.shards, a.inputs, a.out, extra, pure=False) for i in range(a.shards)]
        partials = [client.submit(partial, s, a.out, pure=False) for s in shards]
        aggregate = client.submit(combine, partials).result()
        done = client.gather(shards)
        workers = sorted({w for ws in client.who_has(shards).values() for w in ws})
        print(json.dumps({"shards": [d["summary"] for d in done], "traces": sum(len(d["files"]) for d in done),
                          "workers": len(workers), "aggregate": aggregate}, indent=1))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
