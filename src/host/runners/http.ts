/**
 * The `http` node (and http tools/compensations): one request with the attempt's idempotency
 * key, classified failures and a cap on the response size.
 *
 * network errors → `network` (retryable); 429 → `rate-limit` (retryable, Retry-After honoured);
 * 5xx → `http-status` retryable; other 4xx → `http-status` not retryable.
 */
import { NodeFailure } from '../../core/errors.js';
import type { LogLevel } from '../../core/events.js';
import type { Clock, NodeResult, NodeRunContext, NodeRunner } from '../../core/ports.js';
import { pollHttp } from './http-poll.js';
import { defaultTransport, fetchTransport, TooLarge, type HttpReply, type HttpTransport } from './http-transport.js';

export const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
/** How much of an error response is quoted in the failure message. */
const EXCERPT_CHARS = 200;
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const SCHEMES = new Set(['http:', 'https:', 'data:']);

/** A URL as it may be shown: whatever stands between `//` and `@` (credentials) left out. */
const redact = (url: string): string => url.replace(/^([^@]*?\/\/|[^@]*?:)[^/?#]*@/, '$1…@');

export interface HttpOutput {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** Milliseconds to wait from a Retry-After header (delta-seconds or an HTTP date), if valid. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

function failureFromSignal(signal: AbortSignal, what: string): NodeFailure {
  const reason: unknown = signal.reason;
  if (reason instanceof NodeFailure) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new NodeFailure('timeout', `http: ${what} timed out`, { cause: reason });
  }
  return new NodeFailure('cancelled', `http: ${what} cancelled`, { retryable: false, cause: reason });
}

function networkReason(err: unknown): string {
  // undici says it on the error itself (ECONNREFUSED, UND_ERR_…); fetch on its cause.
  const own = err as { code?: unknown; message?: unknown } | null;
  if (own && typeof own.code === 'string' && typeof own.message === 'string')
    return own.message.includes(own.code) ? own.message : `${own.code} (${own.message})`;
  const cause = (err as { cause?: unknown } | null)?.cause;
  const c = cause as { code?: unknown; message?: unknown } | undefined;
  if (c && typeof c.code === 'string') return typeof c.message === 'string' ? `${c.code} (${c.message})` : c.code;
  if (c && typeof c.message === 'string') return c.message;
  return err instanceof Error ? err.message : String(err);
}

const UTF8 = new TextDecoder();

/** The start of a body, for error messages; never throws. */
async function excerpt(res: HttpReply): Promise<string> {
  try {
    const bytes = await res.bytes(64 * 1024);
    const text = UTF8.decode(bytes).replace(/\s+/g, ' ').trim();
    return text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}…` : text;
  } catch {
    await res.discard().catch(() => {});
    return '';
  }
}

const isJsonType = (ct: string | undefined): boolean => ct !== undefined && /[/+]json\b/i.test(ct);

export const httpRunner: NodeRunner = async (ctx: NodeRunContext): Promise<NodeResult> => {
  if (ctx.config['poll'] !== undefined && ctx.config['poll'] !== null) return pollHttp(ctx, httpRunner);
  const output = await httpRequest(ctx.config, {
    signal: ctx.signal,
    clock: ctx.clock,
    log: (level, message) => ctx.log(level, message),
    idempotencyKey: ctx.idempotencyKey,
    ...transportOf(ctx.services),
  });
  return { output };
};

/** The host's transport; else a fetch it gives (wrapped); else the default. */
export function transportOf(services: { http?: HttpTransport; fetch?: typeof fetch }): { transport?: HttpTransport } {
  if (services.http) return { transport: services.http };
  return services.fetch ? { transport: fetchTransport(services.fetch) } : {};
}

/** What one request needs besides its config. */
export interface RequestContext {
  signal: AbortSignal;
  clock: Clock;
  log(level: LogLevel, message: string): void;
  /** Sent as the `Idempotency-Key` header when given. */
  idempotencyKey?: string;
  /** How the request is sent (default: http-transport.ts). */
  transport?: HttpTransport;
}

/**
 * One request (`cfg`: method, url, headers, body, maxResponseBytes, already rendered). A status
 * `answered` says no to fails classified (by default every status from 400 on).
 */
export async function httpRequest(
  cfg: Record<string, unknown>,
  ctx: RequestContext,
  answered: (status: number) => boolean = (status) => status < 400,
): Promise<HttpOutput> {
  const method = String(cfg['method'] ?? 'GET').toUpperCase();
  if (!METHODS.has(method)) {
    throw new NodeFailure('http-status', `http: unsupported method ${JSON.stringify(cfg['method'])}`, {
      retryable: false,
    });
  }
  const url = cfg['url'];
  if (typeof url !== 'string' || url.length === 0) {
    throw new NodeFailure('template', 'http: config.url must render to a non-empty string', { retryable: false });
  }
  // Read as fetch reads it (WHATWG URL): what is sent, and what is checked, is that.
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new NodeFailure('http-status', `http: invalid URL ${JSON.stringify(redact(url))}`, { retryable: false });
  }
  if (target.username !== '' || target.password !== '') {
    throw new NodeFailure(
      'http-status',
      `http: ${method} ${redact(url)}: the URL carries credentials (user:password@); send them in an Authorization header`,
      { retryable: false },
    );
  }
  if (!SCHEMES.has(target.protocol)) {
    throw new NodeFailure('http-status', `http: ${method} ${url}: only http:, https: and data: URLs are requested`, {
      retryable: false,
    });
  }
  const what = `${method} ${url}`;
  const capRaw = cfg['maxResponseBytes'];
  const cap = typeof capRaw === 'number' && capRaw > 0 ? capRaw : DEFAULT_MAX_RESPONSE_BYTES;

  // Names are case-insensitive: the last of a name given twice counts.
  const headers: Record<string, string> = {};
  const given = cfg['headers'];
  if (given && typeof given === 'object' && !Array.isArray(given)) {
    for (const [k, v] of Object.entries(given as Record<string, unknown>)) {
      if (v === undefined || v === null) continue;
      headers[k.toLowerCase()] = typeof v === 'string' ? v : JSON.stringify(v);
    }
  }
  if (ctx.idempotencyKey !== undefined) headers['idempotency-key'] = ctx.idempotencyKey;

  let body: string | undefined;
  const rawBody = cfg['body'];
  if (rawBody !== undefined && rawBody !== null && method !== 'GET' && method !== 'HEAD') {
    if (typeof rawBody === 'string') {
      body = rawBody;
      headers['content-type'] ??= 'text/plain;charset=UTF-8';
    } else {
      body = JSON.stringify(rawBody);
      headers['content-type'] ??= 'application/json';
    }
  }

  if (ctx.signal.aborted) throw failureFromSignal(ctx.signal, what);
  const send = ctx.transport ?? defaultTransport;
  let res: HttpReply;
  try {
    res = await send({
      url: target.href,
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
      signal: ctx.signal,
    });
  } catch (err) {
    if (ctx.signal.aborted) throw failureFromSignal(ctx.signal, what);
    if (err instanceof NodeFailure) throw err;
    const reason = networkReason(err);
    // A header the node gives that HTTP cannot carry, or a reply whose headers are too large: not a network's passing fault.
    const code = (err as { code?: unknown } | null)?.code;
    if (code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_HEADERS_OVERFLOW')
      throw new NodeFailure('http-status', `http: ${what} failed: ${reason}`, { retryable: false, cause: err });
    throw new NodeFailure('network', `http: ${what} failed: ${reason}`, { retryable: true, cause: err });
  }

  if (!answered(res.status)) {
    const text = await excerpt(res);
    const details = { status: res.status, body: text };
    const suffix = text ? `: ${text}` : '';
    const head = `http: ${what} returned ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
    if (res.status === 429) {
      const retryAfterMs = parseRetryAfter(res.headers['retry-after'] ?? null, ctx.clock.now());
      const opts: { retryable: boolean; details: unknown; retryAfterMs?: number } = { retryable: true, details };
      if (retryAfterMs !== undefined) opts.retryAfterMs = retryAfterMs;
      throw new NodeFailure('rate-limit', `${head} (rate limited)${suffix}`, opts);
    }
    throw new NodeFailure('http-status', `${head}${suffix}`, { retryable: res.status >= 500, details });
  }

  let bytes: Uint8Array;
  try {
    bytes = await res.bytes(cap);
  } catch (err) {
    if (ctx.signal.aborted) throw failureFromSignal(ctx.signal, what);
    if (err instanceof TooLarge) {
      throw new NodeFailure('http-status', `http: response of ${what} exceeds maxResponseBytes (${cap} bytes)`, {
        retryable: false,
        details: { status: res.status, maxResponseBytes: cap },
      });
    }
    throw new NodeFailure('network', `http: reading the response of ${what} failed: ${networkReason(err)}`, {
      retryable: true,
      cause: err,
    });
  }

  const text = UTF8.decode(bytes);
  let parsed: unknown = text;
  if (isJsonType(res.headers['content-type'])) {
    if (text.trim() === '') {
      parsed = null;
    } else {
      try {
        parsed = JSON.parse(text);
      } catch {
        ctx.log('warn', `http: ${what} said JSON but the body does not parse; kept as text`);
      }
    }
  }
  return { status: res.status, headers: res.headers, body: parsed };
}
