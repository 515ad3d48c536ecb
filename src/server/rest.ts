/**
 * REST-style routes of the web host, each mapped onto dispatch() (so the same validation and
 * errors as the studio's calls), plus the OpenAPI document and a Server-Sent Events stream:
 *
 *   GET  /api/openapi.json                     the OpenAPI 3.1 document
 *   POST /api/call/<method>                    a contract method; the body is its input
 *   POST /api/runs                             start (Idempotency-Key header or idempotencyKey)
 *   GET  /api/runs?status=&graphId=&limit=     list
 *   GET  /api/runs/:id                         one run
 *   POST /api/runs/:id/cancel|pause|resume|approve
 *   GET  /api/runs/:id/events?after=SEQ        SSE: the events after SEQ, then live
 *
 * The REST routes answer with the method's value as JSON (`/api/call/<method>` with the
 * `{ ok, value }` envelope of `/api/call`); a failure with `{ ok: false, error }`.
 * The caller (index.ts) has checked the token already.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiResult } from '../contract/api.js';
import { CONTENT_SECURITY_POLICY } from '../contract/csp.js';
import { isTerminalRunEvent } from '../core/events.js';
import { dispatch, type DispatchContext } from '../host/dispatch.js';
import type { EventFeed } from '../host/event-feed.js';
import { openApiDocument } from './openapi.js';

export const STATUS: Record<string, number> = {
  'bad-request': 400,
  unauthorized: 401,
  'not-found': 404,
  'illegal-transition': 409,
  conflict: 409,
  validation: 422,
  database: 503,
  internal: 500,
};

const HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'referrer-policy': 'no-referrer',
};

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', ...HEADERS });
  res.end(JSON.stringify(body));
}

const fail = (res: ServerResponse, status: number, code: string, message: string): void =>
  sendJson(res, status, { ok: false, error: { code, message } });

/** A request body as text, refusing more than `limit` bytes. */
export async function readBody(req: IncomingMessage, limit = 16 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(req);
  if (text.trim() === '') return {};
  const v = JSON.parse(text) as unknown;
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('the body must be a JSON object');
  return v as Record<string, unknown>;
}

function answer(res: ServerResponse, r: ApiResult<unknown>, okStatus = 200): void {
  if (r.ok) sendJson(res, okStatus, r.value);
  else sendJson(res, STATUS[r.error.code] ?? 500, r);
}

const num = (v: string | null): number | undefined =>
  v === null || v.trim() === '' || !Number.isFinite(Number(v)) ? undefined : Number(v);

/** Handles `/api/…` routes other than `POST /api/call`; false when the path is not one of them. */
export async function handleRest(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  ctx: DispatchContext,
  feed: EventFeed,
): Promise<boolean> {
  const path = url.pathname;
  const method = req.method ?? 'GET';
  if (path === '/api/openapi.json' && method === 'GET') {
    sendJson(res, 200, openApiDocument(ctx.version));
    return true;
  }
  const body = async (): Promise<Record<string, unknown> | undefined> => {
    try {
      return await readJson(req);
    } catch (err) {
      fail(res, 400, 'bad-request', `body: ${(err as Error).message}`);
      return undefined;
    }
  };
  const call = path.startsWith('/api/call/') ? decodeURIComponent(path.slice('/api/call/'.length)) : undefined;
  if (call !== undefined && method === 'POST') {
    const input = await body();
    if (!input) return true;
    const r = await dispatch(ctx, call, input); // the envelope, as POST /api/call answers
    sendJson(res, r.ok ? 200 : (STATUS[r.error.code] ?? 500), r);
    return true;
  }
  if (path === '/api/runs') {
    if (method === 'POST') {
      const input = await body();
      if (!input) return true;
      const header = req.headers['idempotency-key'];
      const key = typeof header === 'string' && header !== '' ? header : undefined;
      const r = await dispatch(
        ctx,
        'runs.start',
        key !== undefined && input['idempotencyKey'] === undefined ? { ...input, idempotencyKey: key } : input,
      );
      const created = r.ok && (r.value as { created?: boolean }).created !== false;
      answer(res, r, created ? 201 : 200);
      return true;
    }
    if (method === 'GET') {
      const q = url.searchParams;
      const status = q.get('status');
      const input: Record<string, unknown> = {};
      if (status) input['status'] = status.includes(',') ? status.split(',').map((s) => s.trim()) : status;
      for (const k of ['graphId', 'text', 'sort', 'order']) if (q.get(k)) input[k] = q.get(k);
      // A number goes as one, anything else as the text given: the contract's schema judges both
      // (a 400 naming the parameter), so a bad value is never silently dropped.
      for (const k of ['limit', 'offset']) {
        const v = q.get(k);
        if (v !== null) input[k] = num(v) ?? v;
      }
      answer(res, await dispatch(ctx, 'runs.list', input));
      return true;
    }
    fail(res, 405, 'bad-request', 'method not allowed');
    return true;
  }
  const m = /^\/api\/runs\/([^/]+)(?:\/([a-z]+))?$/.exec(path);
  if (!m) return false;
  const runId = decodeURIComponent(m[1]!);
  const sub = m[2];
  if (sub === undefined && method === 'GET') {
    answer(res, await dispatch(ctx, 'runs.get', { runId }));
    return true;
  }
  if (sub === 'events' && method === 'GET') {
    const after =
      num(url.searchParams.get('after')) ?? num((req.headers['last-event-id'] as string | undefined) ?? null) ?? 0;
    await streamEvents(req, res, ctx, feed, runId, after);
    return true;
  }
  if (method === 'POST' && (sub === 'cancel' || sub === 'pause' || sub === 'resume' || sub === 'approve')) {
    const input = await body();
    if (!input) return true;
    const payload = sub === 'approve' ? { approved: true, ...input, runId } : { ...input, runId };
    answer(res, await dispatch(ctx, `runs.${sub}`, payload));
    return true;
  }
  fail(res, method === 'GET' || method === 'POST' ? 404 : 405, 'not-found', `no route ${method} ${path}`);
  return true;
}

/** Server-Sent Events: every event after `after` from the log, then live; ends after the run ends. */
async function streamEvents(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: DispatchContext,
  feed: EventFeed,
  runId: string,
  after: number,
): Promise<void> {
  try {
    await ctx.service.knownRunId(runId);
  } catch (err) {
    return fail(res, 404, 'not-found', (err as Error).message);
  }
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    ...HEADERS,
  });
  let last = after;
  let ended = false;
  const stop = (): void => {
    if (ended) return;
    ended = true;
    unsubscribe();
    clearInterval(ping);
    res.end();
  };
  // The feed only says "something was committed": the events come from the log, by seq, so
  // the stream has no gap and no duplicate whatever the feed coalesced.
  const pump = async (): Promise<void> => {
    if (ended) return;
    let out = '';
    let done = false;
    for (const e of await ctx.service.events(runId, last)) {
      out += `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
      last = e.seq;
      if (isTerminalRunEvent(e.type)) done = true;
    }
    if (out) res.write(out);
    if (done) stop();
  };
  // One read at a time, in order: a frame that arrives during a read is read after it.
  let reading: Promise<void> = Promise.resolve();
  const read = (): void => {
    reading = reading.then(pump).catch(() => stop());
  };
  const unsubscribe = feed.subscribe((events) => {
    if (events.some((e) => e.runId === runId)) read();
  });
  const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
  req.on('close', stop);
  read();
  await reading;
  const status = (await ctx.service.store.getRunRow(runId))?.status;
  if (status === 'succeeded' || status === 'failed' || status === 'cancelled') stop();
}
