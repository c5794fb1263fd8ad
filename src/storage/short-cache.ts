/**
 * Values loaded on first use and reused for `ttl_ms` (a load in flight is shared): for reads that
 * many concurrent operations repeat and that may be slightly stale.
 */
export class ShortCache<T> {
  readonly #entries = new Map<string, { value: Promise<T>; until: number }>();

  constructor(private readonly ttl_ms: number, private readonly load: (key: string) => Promise<T>) {}

  get(key: string, now_ms = Date.now()): Promise<T> {
    const entry = this.#entries.get(key);
    if (entry && entry.until > now_ms) return entry.value;
    if (this.#entries.size > 10_000) this.#entries.clear(); // bounded: a full clear is cheap and rare
    const value = this.load(key);
    this.#entries.set(key, { value, until: now_ms + this.ttl_ms });
    value.catch(() => this.#entries.delete(key));
    return value;
  }
}
