/**
 * Per-provider rate limits shared by every run of a process: requests per minute, tokens per
 * minute and concurrent requests. A wide fan-out queues here instead of turning into a storm
 * of 429s. A 429 with Retry-After also holds back the provider's other queued requests. With a
 * SharedWindow (PostgreSQL: store/pg/rate-window.ts) the minute's requests and tokens, and the
 * 429 pauses, are those of every process on the database; concurrency stays per process.
 *
 * Configured by a settings object or `STATEPIPE_LIMITS` (JSON), keyed by provider name:
 * `{ "openai": { "requestsPerMinute": 500, "tokensPerMinute": 200000, "concurrency": 8 } }`.
 */

export interface RateLimit {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  /** Requests in flight at once. */
  concurrency?: number;
}

export type LimitSettings = Record<string, RateLimit>;

const WINDOW_MS = 60_000;

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? Object.assign(new Error('aborted'), { name: 'AbortError' });
}

/** A granted request slot: call `done` exactly once, with the tokens the request really used. */
export interface Permit {
  done(actualTokens?: number): void;
}

/**
 * The requests and tokens of the last minute as every process sharing a database sees them. The
 * local limiter still orders its own queue (FIFO) and caps its concurrency; its head then asks here.
 */
export interface SharedWindow {
  /** A grant (an id to settle), or how long to wait before asking again. */
  acquire(tokens: number): Promise<{ grant?: string; waitMs: number }>;
  /** The tokens the granted request really used. */
  settle(grant: string, tokens: number): Promise<void>;
  /** Holds every process's requests back for `ms` (a 429 said so). */
  pause(ms: number): Promise<void>;
}

/** How long a limiter whose shared window failed (the database unreachable) waits to ask again. */
const SHARED_RETRY_MS = 1_000;

interface Waiter {
  tokens: number;
  resolve(p: Permit): void;
  reject(err: unknown): void;
  signal?: AbortSignal | undefined;
  onAbort?: () => void;
}

export class RateLimiter {
  private active = 0;
  private readonly starts: number[] = [];
  private readonly spent: { at: number; tokens: number }[] = [];
  private readonly queue: Waiter[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private pausedUntil = 0;
  /** The head of the queue is asking the shared window. */
  private asking = false;

  constructor(
    readonly limit: RateLimit,
    private readonly now: () => number = () => Date.now(),
    private readonly shared?: SharedWindow,
  ) {}

  /** Requests in flight now. */
  get inFlight(): number {
    return this.active;
  }

  /** Requests waiting for a slot. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Waits (FIFO) for a slot; `tokens` is the request's estimated size. Rejects when `signal` aborts. */
  acquire(tokens: number, signal?: AbortSignal): Promise<Permit> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise<Permit>((resolve, reject) => {
      const w: Waiter = { tokens: Math.max(0, tokens), resolve, reject, signal };
      if (signal) {
        w.onAbort = () => {
          const i = this.queue.indexOf(w);
          if (i >= 0) this.queue.splice(i, 1);
          reject(abortError(signal));
          this.pump();
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.queue.push(w);
      this.pump();
    });
  }

  /** Holds every queued request back for `ms` (a 429 told us to wait). */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
    this.shared?.pause(ms).catch(() => undefined); // best effort: this process holds back anyway
    this.pump();
  }

  private prune(t: number): void {
    while (this.starts.length > 0 && this.starts[0]! <= t - WINDOW_MS) this.starts.shift();
    while (this.spent.length > 0 && this.spent[0]!.at <= t - WINDOW_MS) this.spent.shift();
  }

  private tokensInWindow(): number {
    let n = 0;
    for (const s of this.spent) n += s.tokens;
    return n;
  }

  /** 0 when the head of the queue may start now, else how long until it might. */
  private waitFor(w: Waiter, t: number): number {
    const { concurrency, requestsPerMinute: rpm, tokensPerMinute: tpm } = this.limit;
    if (this.pausedUntil > t) return this.pausedUntil - t;
    if (concurrency !== undefined && concurrency > 0 && this.active >= concurrency) return Infinity; // woken by done()
    if (rpm !== undefined && rpm > 0 && this.starts.length >= rpm) return this.starts[0]! + WINDOW_MS - t;
    if (tpm !== undefined && tpm > 0 && this.spent.length > 0 && this.tokensInWindow() + w.tokens > tpm) {
      // Wait until enough of the window has expired (a request bigger than the whole budget
      // goes alone, once the window is empty).
      let free = tpm - this.tokensInWindow() - w.tokens;
      for (const s of this.spent) {
        free += s.tokens;
        if (free >= 0) return s.at + WINDOW_MS - t;
      }
      return this.spent[this.spent.length - 1]!.at + WINDOW_MS - t;
    }
    return 0;
  }

  private pump(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.asking) return; // pumped again when the answer comes
    while (this.queue.length > 0) {
      const t = this.now();
      this.prune(t);
      const head = this.queue[0]!;
      const wait = this.waitFor(head, t);
      if (wait === Infinity) return;
      if (wait > 0) return this.later(wait);
      if (this.shared) return this.askShared(head);
      this.queue.shift();
      if (head.signal && head.onAbort) head.signal.removeEventListener('abort', head.onAbort);
      head.resolve(this.grant(head.tokens, t));
    }
  }

  private later(ms: number): void {
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.pump();
      },
      Math.max(1, Math.ceil(ms)),
    );
    this.timer.unref?.();
  }

  /** The head passed this process's limits: the shared window says whether it may go now. */
  private askShared(head: Waiter): void {
    this.asking = true;
    this.shared!.acquire(head.tokens).then(
      ({ grant, waitMs }) => {
        this.asking = false;
        if (grant === undefined) return this.later(waitMs);
        const i = this.queue.indexOf(head);
        // Aborted while asking: the grant stays counted, unused (the window errs on the safe side).
        if (i >= 0) {
          this.queue.splice(i, 1);
          if (head.signal && head.onAbort) head.signal.removeEventListener('abort', head.onAbort);
          head.resolve(this.grant(head.tokens, this.now(), grant));
        }
        this.pump();
      },
      () => {
        this.asking = false;
        this.later(SHARED_RETRY_MS);
      },
    );
  }

  private grant(tokens: number, t: number, sharedGrant?: string): Permit {
    this.active++;
    this.starts.push(t);
    const entry = { at: t, tokens };
    this.spent.push(entry);
    let released = false;
    return {
      done: (actual?: number) => {
        if (released) return;
        released = true;
        this.active--;
        if (actual !== undefined && Number.isFinite(actual) && actual >= 0) {
          entry.tokens = actual;
          if (sharedGrant !== undefined) this.shared?.settle(sharedGrant, actual).catch(() => undefined);
        }
        this.pump();
      },
    };
  }
}

/** Reads `STATEPIPE_LIMITS` (JSON); errors say what is wrong. */
export function parseLimits(text: string, where = 'STATEPIPE_LIMITS'): LimitSettings {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`${where}: not JSON (${(err as Error).message})`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error(`${where}: must be an object keyed by provider name`);
  const out: LimitSettings = {};
  for (const [name, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (!v || typeof v !== 'object') throw new Error(`${where}.${name}: must be an object`);
    const limit: RateLimit = {};
    for (const key of ['requestsPerMinute', 'tokensPerMinute', 'concurrency'] as const) {
      const n = (v as Record<string, unknown>)[key];
      if (n === undefined) continue;
      if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0)
        throw new Error(`${where}.${name}.${key}: must be a positive number`);
      limit[key] = n;
    }
    out[name] = limit;
  }
  return out;
}

/** One limiter per provider name, created on first use; shared by every run of the process. */
export class ProviderLimits {
  private readonly limiters = new Map<string, RateLimiter>();
  private readonly settings: LimitSettings;
  private share: ((provider: string, limit: RateLimit) => SharedWindow) | undefined;

  constructor(settings: LimitSettings = {}, env: Record<string, string | undefined> = process.env) {
    const fromEnv = env['STATEPIPE_LIMITS'] ? parseLimits(env['STATEPIPE_LIMITS']) : {};
    this.settings = { ...fromEnv, ...settings };
  }

  /**
   * Counts requests and tokens per minute in a window every process shares (a PostgreSQL
   * database): for the limiters made from now on of providers with such limits.
   */
  shareWith(share: (provider: string, limit: RateLimit) => SharedWindow): void {
    this.share = share;
  }

  /** The limiter of a provider (no limits configured: only the shared 429 pause applies). */
  for(provider: string): RateLimiter {
    let l = this.limiters.get(provider);
    if (l) return l;
    const limit = this.settings[provider] ?? this.settings['*'] ?? {};
    const windowed = limit.requestsPerMinute !== undefined || limit.tokensPerMinute !== undefined;
    l = new RateLimiter(limit, undefined, windowed ? this.share?.(provider, limit) : undefined);
    this.limiters.set(provider, l);
    return l;
  }
}
