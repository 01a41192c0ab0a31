/** A small LRU map with per-entry expiry, for the redirect path's caches. */
export class ExpiringLru<V> {
  readonly #max: number;
  readonly #map = new Map<string, { value: V; until: number }>();

  constructor(max: number) {
    this.#max = Math.max(1, max);
  }

  get(key: string, now: number): V | undefined {
    const entry = this.#map.get(key);
    if (!entry) return undefined;
    if (entry.until <= now) {
      this.#map.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V, until: number): void {
    this.#map.delete(key);
    this.#map.set(key, { value, until });
    if (this.#map.size > this.#max) {
      // Map iterates in insertion order: the first key is the least recently set.
      const oldest = this.#map.keys().next().value as string;
      this.#map.delete(oldest);
    }
  }

  delete(key: string): void {
    this.#map.delete(key);
  }

  /** Drops every entry whose key starts with `prefix`. O(size): for deletes, not hot paths. */
  deletePrefix(prefix: string): void {
    for (const key of this.#map.keys()) if (key.startsWith(prefix)) this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
  }
}
