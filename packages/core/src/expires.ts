/** Default signed-URL lifetime: one hour. */
export const DEFAULT_EXPIRES_IN = 3600;
/** Longest signed-URL lifetime: seven days, the bound S3 SigV4 imposes. */
export const MAX_EXPIRES_IN = 604800;

/** Clamps a lifetime in seconds to 1..{@link MAX_EXPIRES_IN}; non-numbers get the default. */
export function clampExpiresIn(value: number | undefined): number {
  if (value === undefined || !Number.isFinite(value)) return DEFAULT_EXPIRES_IN;
  return Math.min(MAX_EXPIRES_IN, Math.max(1, Math.floor(value)));
}
