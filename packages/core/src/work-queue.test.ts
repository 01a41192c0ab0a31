import { describe, expect, it } from 'vitest';
import { createWorkQueue } from './work-queue.js';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

describe('createWorkQueue', () => {
  it('runs one task for simultaneous calls with the same key, and gives them all its result', async () => {
    const queue = createWorkQueue({ concurrency: 2, maxQueued: 0 });
    const { open, opened } = gate();
    let runs = 0;
    const task = async () => {
      runs++;
      await opened;
      return 'made';
    };
    const calls = Array.from({ length: 16 }, () => queue.run('k', task));
    open();
    expect(await Promise.all(calls)).toEqual(Array(16).fill('made'));
    expect(runs).toBe(1);
    // Once settled, the key runs afresh.
    await queue.run('k', async () => runs++);
    expect(runs).toBe(2);
  });

  it('runs at most `concurrency` tasks, queues `maxQueued`, and refuses the next with OVERLOADED (503)', async () => {
    const queue = createWorkQueue({ concurrency: 2, maxQueued: 1 });
    const { open, opened } = gate();
    let active = 0;
    let peak = 0;
    const task = async () => {
      active++;
      peak = Math.max(peak, active);
      await opened;
      active--;
    };
    const admitted = ['a', 'b', 'c'].map((key) => queue.run(key, task));
    expect([queue.running, queue.queued]).toEqual([2, 1]);
    await expect(queue.run('d', task)).rejects.toMatchObject({ code: 'OVERLOADED', status: 503 });
    open();
    await Promise.all(admitted);
    expect(peak).toBe(2);
    expect([queue.running, queue.queued]).toEqual([0, 0]);
  });

  it('frees the slot of a task that fails, and hands its error to every caller', async () => {
    const queue = createWorkQueue({ concurrency: 1, maxQueued: 0 });
    const boom = new Error('boom');
    const both = [queue.run('x', () => Promise.reject(boom)), queue.run('x', () => Promise.resolve())];
    for (const call of both) await expect(call).rejects.toBe(boom);
    await expect(queue.run('y', async () => 'ok')).resolves.toBe('ok');
  });
});
