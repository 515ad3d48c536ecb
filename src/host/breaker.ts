/**
 * Circuit breakers, one per model provider (`provider:openai`) and one per http host
 * (`http:api.example.com:443`), shared by every run of a process.
 *
 * closed → (N consecutive failures, default 5) → open: calls fail fast with kind `provider`,
 * retryable, `retryAfterMs` = what is left of the cool-down (default 30 s) → half-open after
 * the cool-down: one trial call goes through; its success closes the circuit, its failure
 * opens it again for another cool-down.
 *
 * Failures that count: network errors, timeouts, retryable provider errors and 5xx answers.
 * Rate limits (the limiter's business), cancels, schema and 4xx errors do not.
 *
 * `withBreakers(runner)` wraps a node runner so its model calls and fetches go through the
 * breakers; openings and fast failures are written to the node's log as warnings.
 */
import { NodeFailure } from '../core/errors.js';
import type { LogLevel } from '../core/events.js';
import type { HttpReply, HttpTransport, ModelProvider, NodeRunContext, NodeRunner } from '../core/ports.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerSettings {
  /** Consecutive failures that open a circuit (default 5). */
  threshold?: number;
  /** How long an open circuit fails fast (ms, default 30 000). */
  coolDownMs?: number;
  /** The clock (tests inject one). */
  now?: () => number;
}

export interface BreakerInfo {
  key: string;
  kind: 'provider' | 'http';
  state: BreakerState;
  failures: number;
  /** While open: when the cool-down ends (ISO time) and how long that is from now. */
  openUntil?: string;
  retryAfterMs?: number;
  lastError?: string;
}

interface Circuit {
  failures: number;
  openUntil: number;
  /** A half-open trial call is in flight. */
  trial: boolean;
  lastError?: string;
}

type Log = (level: LogLevel, message: string) => void;

export const DEFAULT_BREAKER = { threshold: 5, coolDownMs: 30_000 } as const;

export class BreakerRegistry {
  readonly threshold: number;
  readonly coolDownMs: number;
  private readonly now: () => number;
  private readonly circuits = new Map<string, Circuit>();

  constructor(settings: BreakerSettings = {}) {
    this.threshold = Math.max(1, settings.threshold ?? DEFAULT_BREAKER.threshold);
    this.coolDownMs = Math.max(0, settings.coolDownMs ?? DEFAULT_BREAKER.coolDownMs);
    this.now = settings.now ?? Date.now;
  }

  private circuit(key: string): Circuit {
    let c = this.circuits.get(key);
    if (!c) this.circuits.set(key, (c = { failures: 0, openUntil: 0, trial: false }));
    return c;
  }

  state(key: string): BreakerState {
    const c = this.circuits.get(key);
    if (!c || c.failures < this.threshold) return 'closed';
    return this.now() < c.openUntil ? 'open' : 'half-open';
  }

  /** Throws the fast failure when the circuit is open (or its half-open trial is taken). */
  before(key: string, log?: Log): void {
    const c = this.circuits.get(key);
    if (!c || c.failures < this.threshold) return;
    const left = c.openUntil - this.now();
    if (left <= 0 && !c.trial) {
      c.trial = true;
      log?.('info', `circuit ${key} is half-open: trying one call`);
      return;
    }
    const retryAfterMs = Math.max(1, left > 0 ? left : Math.min(this.coolDownMs, 1000));
    const message = `circuit ${key} is open after ${c.failures} consecutive failures${c.lastError ? ` (last: ${c.lastError})` : ''}; failing fast for ${Math.ceil(retryAfterMs / 1000)} s`;
    log?.('warn', message);
    throw new NodeFailure('provider', message, { retryable: true, retryAfterMs, details: { breaker: key } });
  }

  /** A success closes the circuit and resets its count of consecutive failures. */
  success(key: string): void {
    this.circuits.delete(key);
  }

  /** A call that neither proves nor disproves the service (a rate limit, a cancel, a 4xx): frees a half-open trial. */
  neutral(key: string): void {
    const c = this.circuits.get(key);
    if (c) c.trial = false;
  }

  failure(key: string, why: string, log?: Log): void {
    const c = this.circuit(key);
    c.failures++;
    c.trial = false;
    c.lastError = why.slice(0, 200);
    if (c.failures >= this.threshold) {
      c.openUntil = this.now() + this.coolDownMs;
      log?.(
        'warn',
        `circuit ${key} opened after ${c.failures} consecutive failures: calls fail fast for ${Math.round(this.coolDownMs / 1000)} s`,
      );
    }
  }

  /** Every circuit that has seen a failure (for the studio's settings). */
  list(): BreakerInfo[] {
    const now = this.now();
    return [...this.circuits.entries()]
      .filter(([, c]) => c.failures > 0)
      .map(([key, c]) => {
        const state = this.state(key);
        const info: BreakerInfo = {
          key,
          kind: key.startsWith('http:') ? 'http' : 'provider',
          state,
          failures: c.failures,
        };
        if (state === 'open') {
          info.openUntil = new Date(c.openUntil).toISOString();
          info.retryAfterMs = c.openUntil - now;
        }
        if (c.lastError) info.lastError = c.lastError;
        return info;
      });
  }

  /** A model provider whose calls go through the circuit `provider:<name>`. */
  provider(name: string, inner: ModelProvider, log?: Log): ModelProvider {
    const key = `provider:${name}`;
    return {
      generate: async (req) => {
        this.before(key, log);
        try {
          const reply = await inner.generate(req);
          this.success(key);
          return reply;
        } catch (err) {
          if (counts(err)) this.failure(key, messageOf(err), log);
          else this.neutral(key);
          throw err;
        }
      },
    };
  }

  /** A transport whose requests go through the circuit of their host (`http:<host:port>`), as fetch below. */
  transport(inner: HttpTransport, log?: Log): HttpTransport {
    return async (call) => {
      const key = `http:${hostOf(call.url)}`;
      this.before(key, log);
      let res: HttpReply;
      try {
        res = await inner(call);
      } catch (err) {
        if (call.signal.aborted) this.neutral(key);
        else this.failure(key, messageOf(err), log);
        throw err;
      }
      this.answered(key, res.status, log);
      return res;
    };
  }

  /** The circuit of a host that answered `status`: 5xx a failure, 429 neither way, else a success. */
  private answered(key: string, status: number, log?: Log): void {
    if (status >= 500) this.failure(key, `HTTP ${status}`, log);
    else if (status === 429) this.neutral(key);
    else this.success(key);
  }

  /** A fetch whose requests go through the circuit of their host (`http:<host:port>`). */
  fetch(inner: typeof fetch, log?: Log): typeof fetch {
    return async (input, init) => {
      const key = `http:${hostOf(input)}`;
      this.before(key, log);
      let res: Response;
      try {
        res = await inner(input, init);
      } catch (err) {
        if (init?.signal?.aborted === true) this.neutral(key);
        else this.failure(key, messageOf(err), log);
        throw err;
      }
      this.answered(key, res.status, log);
      return res;
    };
  }
}

function hostOf(input: Parameters<typeof fetch>[0]): string {
  const raw = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  try {
    const u = new URL(raw);
    return u.port ? u.host : `${u.hostname}:${u.protocol === 'https:' ? 443 : 80}`;
  } catch {
    return 'invalid-url';
  }
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Whether a provider failure counts against its circuit. */
function counts(err: unknown): boolean {
  if (!(err instanceof NodeFailure)) return true;
  if (err.kind === 'network' || err.kind === 'timeout') return true;
  return err.kind === 'provider' && err.retryable && !(err.details as { breaker?: string } | undefined)?.breaker;
}

/** Wraps a runner: the host's providers and fetch, seen through the breakers, with the node's log. */
export function withBreakers(breakers: BreakerRegistry, runner: NodeRunner): NodeRunner {
  return (ctx: NodeRunContext) => {
    const log: Log = (level, message) => ctx.log(level, message);
    const services = { ...ctx.services };
    const provider = ctx.services.provider;
    if (provider) {
      services.provider = (name) => {
        const p = provider(name);
        return p ? breakers.provider(name, p, log) : undefined;
      };
    }
    services.fetch = breakers.fetch(ctx.services.fetch ?? globalThis.fetch.bind(globalThis), log);
    if (ctx.services.http) services.http = breakers.transport(ctx.services.http, log);
    return runner({ ...ctx, services });
  };
}
