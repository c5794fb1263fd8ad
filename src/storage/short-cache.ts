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

  /** Forgets a key: its next get loads it (after a change made here). */
  delete(key: string): void {
    this.#entries.delete(key);
  }
}

/**
 * One value recomputed in the background: a read gets what was last computed (waiting only for
 * the first), and a read after `refresh_ms` starts one recomputation, which later reads get. For
 * figures that are costly to compute and fine to be a few seconds old (the console's overview).
 */
export class BackgroundValue<T> {
  #value: { value: T; at: number } | undefined;
  #computing: Promise<T> | undefined;

  constructor(private readonly refresh_ms: number, private readonly compute: () => Promise<T>) {}

  #start(): Promise<T> {
    this.#computing ??= this.compute()
      .then((value) => { this.#value = { value, at: Date.now() }; return value; })
      .finally(() => { this.#computing = undefined; });
    return this.#computing;
  }

  async get(now_ms = Date.now()): Promise<T> {
    if (!this.#value) return this.#start();
    if (now_ms - this.#value.at >= this.refresh_ms) this.#start().catch(() => {}); // the next read sees it
    return this.#value.value;
  }
}
