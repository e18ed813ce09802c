import { describe, expect, it } from 'vitest';
import { newMachineFacts } from './machine.js';
import { follower, GATE_AT, GATE_SLOTS, publisher, replayThreads, THREADS_FROM_BYTES } from './replay_threads.js';

function gate(): Int32Array {
  const g = new Int32Array(new SharedArrayBuffer(GATE_SLOTS * 4));
  Atomics.store(g, GATE_AT, -1);
  return g;
}

describe('the zero-page gate between the first thread and a worker', () => {
  it('puts mainline\'s decision in force at the event it was made, not before', () => {
    const g = gate();
    const main = newMachineFacts(), other = newMachineFacts();
    const pub = publisher(g, main), before = follower(g, other);
    for (let n = 0; n < 8; n++) {
      pub.beforeRun(n);
      if (n === 5) main.zeroPage = false; // mainline's engine decides while handling event 5
    }
    pub.beforeRun(8);
    for (let n = 0; n < 5; n++) {
      before(n);
      expect(other.zeroPage).toBeNull();
    }
    before(5);
    expect(other.zeroPage).toBe(false);
  });

  it('lets a worker run to the end undecided when mainline never decides', () => {
    const g = gate();
    const main = newMachineFacts(), other = newMachineFacts();
    const pub = publisher(g, main), before = follower(g, other);
    for (let n = 0; n < 1000; n++) pub.beforeRun(n);
    pub.beforeRun(1000);
    pub.afterFinish(1000);
    for (let n = 0; n <= 1000; n++) before(n); // would wait forever if the end were not published
    expect(other.zeroPage).toBeNull();
  });

  it('takes a decision made while finishing at the finish', () => {
    const g = gate();
    const main = newMachineFacts(), other = newMachineFacts();
    const pub = publisher(g, main), before = follower(g, other);
    for (let n = 0; n <= 3; n++) pub.beforeRun(n);
    main.zeroPage = true;
    pub.afterFinish(3);
    for (let n = 0; n < 3; n++) before(n);
    expect(other.zeroPage).toBeNull();
    before(3);
    expect(other.zeroPage).toBe(true);
  });
});

describe('replayThreads', () => {
  it('uses no more threads than variants, one for a small file, and FAULTLINE_THREADS when set', () => {
    const keep = process.env.FAULTLINE_THREADS;
    try {
      delete process.env.FAULTLINE_THREADS;
      expect(replayThreads(8, THREADS_FROM_BYTES - 1)).toBe(1);
      expect(replayThreads(1, THREADS_FROM_BYTES)).toBe(1);
      process.env.FAULTLINE_THREADS = '3';
      expect(replayThreads(8, 0)).toBe(3);
      expect(replayThreads(2, 0)).toBe(2);
      process.env.FAULTLINE_THREADS = '1';
      expect(replayThreads(8, THREADS_FROM_BYTES)).toBe(1);
    } finally {
      if (keep === undefined) delete process.env.FAULTLINE_THREADS;
      else process.env.FAULTLINE_THREADS = keep;
    }
  });
});
