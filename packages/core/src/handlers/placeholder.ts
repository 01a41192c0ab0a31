import { untilAborted } from '../deadline.js';
import { isTransformable } from '../variants.js';
import type { HandlerContext } from './context.js';

/** How far the placeholder may fall behind the upload before it is given up, in bytes. */
const MAX_LAG_BYTES = 4 * 1024 * 1024;

/** A placeholder being computed from a copy of an upload's bytes. */
export interface PlaceholderRun {
  /** The upload's bytes, to hand to the store: each chunk is copied to the placeholder as it passes. */
  body: AsyncIterable<Uint8Array>;
  /** The placeholder, once the bytes have passed; `undefined` if it could not be made. Never rejects. */
  result(): Promise<string | undefined>;
  /** Stops the work (the upload failed). */
  abort(reason?: unknown): void;
}

/**
 * Tees an upload's bytes into the transformer's `placeholder` while they stream to the
 * store. The copy never slows the upload: a placeholder that falls more than
 * {@link MAX_LAG_BYTES} behind is given up, so memory stays bounded. `undefined` when no
 * placeholder is configured or the type has none (SVG).
 */
export function startPlaceholder(
  ctx: HandlerContext,
  source: AsyncIterable<Uint8Array>,
  contentType: string,
): PlaceholderRun | undefined {
  const setup = ctx.transforms;
  const make = setup?.transformer.placeholder?.bind(setup.transformer);
  if (!setup?.placeholder || !make || !isTransformable(contentType)) return undefined;

  const controller = new AbortController();
  const chunks: Uint8Array[] = [];
  let lag = 0;
  let ended = false;
  let detached = false;
  let failed: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const detach = () => {
    detached = true;
    chunks.length = 0;
    lag = 0;
  };

  async function* copy(): AsyncGenerator<Uint8Array> {
    try {
      for (;;) {
        const chunk = chunks.shift();
        if (chunk) {
          lag -= chunk.length;
          yield chunk;
          continue;
        }
        if (failed) throw failed.error;
        if (ended || detached) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    } finally {
      // The consumer stopped early (or finished): stop copying.
      detach();
    }
  }

  async function* body(): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of source) {
        if (!detached) {
          chunks.push(chunk);
          lag += chunk.length;
          if (lag > MAX_LAG_BYTES) {
            detach();
            controller.abort(new DOMException('[imgstash] the placeholder fell behind', 'AbortError'));
          }
          notify();
        }
        yield chunk;
      }
      ended = true;
    } catch (error) {
      failed = { error };
      throw error;
    } finally {
      // Ending early without an error (the store stopped reading) is a failure for the copy too.
      if (!ended && !failed) failed = { error: new DOMException('[imgstash] upload ended early', 'AbortError') };
      notify();
    }
  }

  const running = (async () =>
    make(copy(), {
      kind: setup.placeholder as 'thumbhash',
      contentType,
      maxPixels: setup.maxPixels,
      signal: controller.signal,
    }))();
  // Settled whether or not anybody asks for it, so a failure is never unhandled.
  const settled = running.then(
    (value) => (typeof value === 'string' && value.length > 0 ? value : undefined),
    () => undefined,
  );
  const timer = setTimeout(
    () => controller.abort(new DOMException('[imgstash] placeholder deadline', 'TimeoutError')),
    ctx.deadlines.transform,
  );
  settled.finally(() => clearTimeout(timer));

  return {
    body: body(),
    result: () => untilAborted(settled, controller.signal).catch(() => undefined),
    abort(reason) {
      controller.abort(reason);
      failed ??= { error: reason };
      notify();
    },
  };
}
