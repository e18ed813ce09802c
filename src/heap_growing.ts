// V8's old-generation headroom while the process is small: 20% over the live heap (not V8's dynamic 1.1-4x), handed back
// to V8 once the process's RSS passes 256 MiB, where marking a big live heap that often would cost real time.
import v8 from 'node:v8';

/**
 * Headroom over the live heap after a mark-compact (deps/v8/src/heap/heap-controller.cc GrowingFactor: a positive
 * --heap-growing-percent replaces the dynamic factor; the limit is still at least live + 8 MB). V8 reads it at every
 * limit it recomputes, so setting it after start-up works (unlike --optimize-for-size: src/low_memory.ts). On the
 * bench's six cycles V8's own factor let old space fill to ~40 MB of a ~11 MiB live heap: the whole trace's peak ~1.3x
 * its sixth's.
 */
export const SMALL_HEAP_GROWING_PERCENT = 20;
/**
 * Above this RSS the policy ends (V8's own factor again, which keeps mark-compact time near 3% of the mutator's,
 * heap.cc kTargetMutatorUtilization): a fixed 1.2x over a live heap of hundreds of MB marks it every few tens of MB
 * promoted (a synthetic 345 MiB heap promoting fast: 1.5x the time). RSS, not this isolate's heap: it counts every
 * thread's (replay's variant workers) and stays above the live heaps, so the policy ends no later than they grow.
 */
export const SMALL_PROCESS_RSS = 256 * 1024 * 1024;
const CHECK_MS = 250;

/** What keepHeapGrowingSmall reads and sets (tests give their own). */
export interface HeapGrowingHooks {
  setFlags(flags: string): void;
  rss(): number;
  /** node's own command line (NODE_OPTIONS refuses V8 heap flags): a heap flag there is the user's choice, left alone. */
  nodeArgs: readonly string[];
  every: number;
}

const DEFAULT_HOOKS: HeapGrowingHooks = {
  setFlags: (f) => v8.setFlagsFromString(f),
  rss: () => process.memoryUsage.rss(),
  nodeArgs: process.execArgv,
  every: CHECK_MS,
};

/** The user's own V8 heap-growing choice (or --low-memory's node): this policy stays out of its way. */
const USER_CHOICE = /^--(?:heap[-_]growing[-_]percent|optimize[-_]for[-_]size)\b/;

/**
 * Start the policy for this process (the CLI, before its command runs): whether it started (not when the user chose a
 * heap flag), and its stop, which hands growing back to V8. RSS is read on an unref'd timer, off the hot path.
 */
export function keepHeapGrowingSmall(hooks: Partial<HeapGrowingHooks> = {}): { active: boolean; stop: () => void } {
  const h = { ...DEFAULT_HOOKS, ...hooks };
  if (h.nodeArgs.some((a) => USER_CHOICE.test(a))) return { active: false, stop: () => undefined };
  h.setFlags(`--heap-growing-percent=${SMALL_HEAP_GROWING_PERCENT}`);
  let on = true;
  const stop = (): void => {
    if (!on) return;
    on = false;
    clearInterval(timer);
    h.setFlags('--heap-growing-percent=0'); // 0: V8's dynamic factor (flag-definitions.h: the default)
  };
  const timer = setInterval(() => {
    if (h.rss() > SMALL_PROCESS_RSS) stop();
  }, h.every);
  timer.unref();
  return { active: true, stop };
}
