import { withDeadline } from '../deadline.js';
import { isImageStoreError } from '../errors.js';
import { jsonResponse } from '../http.js';
import { fromStore, type HandlerContext } from './context.js';
import type { HandlerRequest, HealthReason, ImageHandlers } from './options.js';
import { methodNotAllowed, RETRY_AFTER_SECONDS } from './respond.js';

/** Defaults of {@link HealthOptions}, in ms. */
export const DEFAULT_HEALTH = { deadline: 2000, cacheFor: 5000 } as const;

/**
 * The key the probe stats. It can never be an image's: ids have no dot, and the part
 * before the dot is shorter than any id (≥ 16 characters), so it is no derived key either.
 * Missing is the healthy answer.
 */
export const HEALTH_PROBE_KEY = 'healthz.probe';

interface Verdict {
  reason?: HealthReason;
  until: number;
}

const MESSAGES: Readonly<Record<HealthReason, string>> = {
  draining: 'The instance is shutting down.',
  'storage-timeout': 'The storage backend did not answer in time.',
  'storage-error': 'The storage backend failed.',
};

/**
 * `GET|HEAD /healthz`: 200 while the store answers a `stat` of {@link HEALTH_PROBE_KEY}
 * within the health deadline, 503 with a reason otherwise. One probe at a time, its verdict
 * kept for `cacheFor` ms, so that probes from any number of checkers cannot hammer storage.
 */
export function createHealthRoute(ctx: HandlerContext): Pick<ImageHandlers, 'health' | 'setDraining'> {
  const { store, options } = ctx;
  const deadline = options.health?.deadline ?? DEFAULT_HEALTH.deadline;
  const cacheFor = options.health?.cacheFor ?? DEFAULT_HEALTH.cacheFor;
  if (!Number.isFinite(deadline) || deadline <= 0) throw new TypeError('[imgstash] health.deadline must be > 0 ms');
  if (!Number.isFinite(cacheFor) || cacheFor < 0) throw new TypeError('[imgstash] health.cacheFor must be ≥ 0 ms');
  let draining = false;
  let verdict: Verdict | undefined;
  let running: Promise<Verdict> | undefined;

  async function probe(): Promise<Verdict> {
    let reason: HealthReason | undefined;
    try {
      // The client's signal is not the probe's: the verdict is shared by every checker.
      await fromStore(() => withDeadline(deadline, undefined, (signal) => store.stat(HEALTH_PROBE_KEY, { signal })));
    } catch (error) {
      reason = isImageStoreError(error) && error.code === 'STORAGE_UNAVAILABLE' ? 'storage-timeout' : 'storage-error';
    }
    return reason === undefined ? { until: Date.now() + cacheFor } : { reason, until: Date.now() + cacheFor };
  }

  function answer(reason: HealthReason | undefined): Response {
    if (reason === undefined) return jsonResponse(200, { ok: true });
    return jsonResponse(
      503,
      { ok: false, reason, error: { code: 'STORAGE_UNAVAILABLE', message: MESSAGES[reason] } },
      { 'retry-after': String(RETRY_AFTER_SECONDS) },
    );
  }

  async function health(request: HandlerRequest): Promise<Response> {
    if (request.method !== 'GET' && request.method !== 'HEAD') return methodNotAllowed('GET, HEAD');
    // Draining answers at once, without storage: the load balancer must stop sending first.
    if (draining || options.health?.draining?.()) return answer('draining');
    if (!verdict || verdict.until <= Date.now()) {
      running ??= probe().finally(() => {
        running = undefined;
      });
      verdict = await running;
    }
    return answer(verdict.reason);
  }

  return {
    health,
    setDraining(value) {
      draining = value;
    },
  };
}
