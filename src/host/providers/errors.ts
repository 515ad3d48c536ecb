/**
 * Provider failures as NodeFailures (docs/runtime.md "Error kinds"), with every configured secret
 * scrubbed from what is kept: messages and response excerpts may echo request headers.
 *
 * 429 → `rate-limit` (retryable, `retryAfterMs` from `retry-after-ms` / `Retry-After`);
 * 5xx, 408, 409, 529 "overloaded" → `provider` retryable; other 4xx → `provider` not retryable;
 * no status (connection refused/reset, DNS, …) → `network` retryable; an abort by the node's
 * timeout → `timeout`; any other abort → `cancelled`.
 */
import { NodeFailure } from '../../core/errors.js';

/** How much of a provider's error body is quoted. */
const EXCERPT_CHARS = 300;

/** Replaces every secret (of 4+ characters) in `text` with `***`. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (typeof s !== 'string' || s.length < 4) continue;
    out = out.split(s).join('***');
  }
  return out;
}

/** Milliseconds to wait from `retry-after-ms` or `Retry-After` (seconds or an HTTP date). */
export function retryAfterFromHeaders(headers: Record<string, string> | undefined, nowMs: number): number | undefined {
  if (!headers) return undefined;
  const get = (name: string): string | undefined => {
    for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
    return undefined;
  };
  const ms = get('retry-after-ms');
  if (ms !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Math.round(Number(ms));
  const ra = get('retry-after');
  if (ra === undefined) return undefined;
  const v = ra.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

interface ApiCallErrorLike {
  message: string;
  statusCode?: number;
  responseHeaders?: Record<string, string>;
  responseBody?: string;
  cause?: unknown;
}

function findApiError(err: unknown): ApiCallErrorLike | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const o = e as Record<string, unknown>;
    if (o['name'] === 'AI_APICallError' || 'statusCode' in o || 'responseHeaders' in o)
      return o as unknown as ApiCallErrorLike;
    // RetryError keeps its errors; NoOutputGeneratedError and friends keep a cause.
    const errors = o['errors'];
    e = Array.isArray(errors) && errors.length > 0 ? errors[errors.length - 1] : o['cause'];
  }
  return undefined;
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (err && typeof err === 'object' && typeof (err as { message?: unknown }).message === 'string') {
    return (err as { message: string }).message;
  }
  return String(err);
}

function causeReason(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const c = (e as { cause?: unknown }).cause as { code?: unknown; message?: unknown } | undefined;
    if (c && typeof c.code === 'string') return typeof c.message === 'string' ? `${c.code} (${c.message})` : c.code;
    e = c;
  }
  return undefined;
}

const excerpt = (body: string | undefined): string => {
  if (!body) return '';
  const t = body.replace(/\s+/g, ' ').trim();
  return t.length > EXCERPT_CHARS ? `${t.slice(0, EXCERPT_CHARS)}…` : t;
};

export interface ClassifyOptions {
  /** `openai`, `anthropic`, … (named in the message). */
  provider: string;
  model: string;
  signal: AbortSignal;
  /** Values never to keep: API keys in use. */
  secrets: readonly string[];
  now?: () => number;
}

/** The NodeFailure for anything thrown or streamed by a provider call. */
export function classifyProviderError(err: unknown, opts: ClassifyOptions): NodeFailure {
  const what = `${opts.provider} ${opts.model}`;
  const clean = (s: string): string => scrubSecrets(s, opts.secrets);
  if (err instanceof NodeFailure) {
    return new NodeFailure(err.kind, clean(err.message), {
      retryable: err.retryable,
      ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
      ...(err.details !== undefined ? { details: err.details } : {}),
    });
  }
  if (opts.signal.aborted) {
    const reason: unknown = opts.signal.reason;
    if (reason instanceof NodeFailure) return reason;
    if (reason instanceof Error && reason.name === 'TimeoutError')
      return new NodeFailure('timeout', `${what}: timed out`);
    return new NodeFailure('cancelled', `${what}: cancelled`, { retryable: false });
  }
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError') return new NodeFailure('timeout', `${what}: timed out`);
  if (name === 'AbortError') return new NodeFailure('cancelled', `${what}: cancelled`, { retryable: false });

  const api = findApiError(err);
  const status = api?.statusCode;
  const body = excerpt(api?.responseBody);
  const msg = clean(messageOf(api ?? err));
  // The body is quoted unless the SDK's message was taken from it already.
  const suffix = body && !msg.includes(body) && !clean(body).includes(msg) ? `: ${clean(body)}` : '';
  if (status === undefined) {
    if (api || /fetch failed|cannot connect|ECONN|ENOTFOUND|EAI_AGAIN|socket|network|terminated/i.test(msg)) {
      const reason = causeReason(api ?? err);
      return new NodeFailure(
        'network',
        clean(`${what}: connection failed: ${msg}${reason && !msg.includes(reason) ? ` (${reason})` : ''}`),
        {
          retryable: true,
        },
      );
    }
    // A broken stream or an unexpected reply: the provider's side, worth another try.
    return new NodeFailure('provider', `${what}: ${msg}`, { retryable: true });
  }
  const details = { status, ...(body ? { body: clean(body) } : {}) };
  if (status === 429) {
    const retryAfterMs = retryAfterFromHeaders(api?.responseHeaders, (opts.now ?? Date.now)());
    return new NodeFailure('rate-limit', `${what}: rate limited (429): ${msg}${suffix}`, {
      retryable: true,
      details,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  const overloaded = /overloaded/i.test(`${msg} ${body}`);
  const retryable = status >= 500 || status === 408 || status === 409 || overloaded;
  const retryAfterMs = retryable ? retryAfterFromHeaders(api?.responseHeaders, (opts.now ?? Date.now)()) : undefined;
  return new NodeFailure('provider', `${what}: HTTP ${status}: ${msg}${suffix}`, {
    retryable,
    details,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}
