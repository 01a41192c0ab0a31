import { describe, expect, it } from 'vitest';
import { startDeadline, untilAborted, withDeadline } from './deadline.js';
import { isImageStoreError } from './errors.js';

const never = () => new Promise<never>(() => {});

describe('withDeadline', () => {
  it('resolves with the call when it answers in time', async () => {
    await expect(withDeadline(1000, undefined, async () => 'ok')).resolves.toBe('ok');
  });

  it('rejects with a 503 STORAGE_UNAVAILABLE once the deadline passes, even when the call ignores its signal', async () => {
    const error = await withDeadline(20, undefined, never).catch((e: unknown) => e);
    expect(isImageStoreError(error) && error.code).toBe('STORAGE_UNAVAILABLE');
    expect(isImageStoreError(error) && error.status).toBe(503);
  });

  it('aborts the signal it hands to the call, with a TimeoutError reason', async () => {
    let seen: AbortSignal | undefined;
    await withDeadline(20, undefined, (signal) => {
      seen = signal;
      return never();
    }).catch(() => {});
    expect(seen?.aborted).toBe(true);
    expect((seen?.reason as Error).name).toBe('TimeoutError');
  });

  it('passes on a parent abort as the abort it is, not as a deadline', async () => {
    const parent = new AbortController();
    const running = withDeadline(10_000, parent.signal, never);
    const reason = new DOMException('client gone', 'AbortError');
    parent.abort(reason);
    await expect(running).rejects.toBe(reason);
  });

  it('turns a synchronous throw of the call into a rejection', async () => {
    const boom = new Error('boom');
    await expect(
      withDeadline(1000, undefined, () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
  });
});

describe('startDeadline', () => {
  it('does not fire while paused, and fires once touched and left alone', async () => {
    const deadline = startDeadline(30);
    deadline.pause();
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(deadline.expired).toBe(false);
    deadline.touch();
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(deadline.expired).toBe(true);
    expect(deadline.signal.aborted).toBe(true);
    deadline.dispose();
  });

  it('is aborted at once by an already aborted parent', () => {
    const parent = new AbortController();
    parent.abort();
    const deadline = startDeadline(1000, parent.signal);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.expired).toBe(false);
    deadline.dispose();
  });
});

describe('untilAborted', () => {
  it('rejects with the reason of a signal that is already aborted', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    controller.abort(reason);
    await expect(untilAborted(never(), controller.signal)).rejects.toBe(reason);
  });
});

describe('a disposed deadline', () => {
  it('never fires, even when touched afterwards', async () => {
    const deadline = startDeadline(20);
    deadline.dispose();
    deadline.touch();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(deadline.expired).toBe(false);
    expect(deadline.signal.aborted).toBe(false);
  });
});
