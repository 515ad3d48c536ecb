/**
 * How an `http` node's request reaches the network. The default sends http: and https: requests
 * with undici's `request` (the client inside Node's own fetch, without the WHATWG layers: about
 * half the CPU of a fetch per request, and its request is written to the socket before the
 * engine's next commit, so the two overlap); any other scheme, or a `fetch` a host gives, goes
 * through fetch. Both follow redirects (at most 20), decode gzip, deflate and br bodies, and
 * stop reading a body as soon as it passes the node's cap.
 */
import { STATUS_CODES } from 'node:http';
import { Readable } from 'node:stream';
import { createBrotliDecompress, createUnzip } from 'node:zlib';
import type { HttpCall, HttpReply, HttpTransport } from '../../core/ports.js';

export type { HttpCall, HttpReply, HttpTransport };

/** A body over the cap: the caller says which cap. */
export class TooLarge extends Error {}

const MAX_REDIRECTS = 20;
/** Sent unless the node sets them (fetch sends the like). */
const DEFAULT_HEADERS = { accept: '*/*', 'accept-encoding': 'gzip, deflate, br', 'user-agent': 'statepipe' };

type Undici = typeof import('undici');
let undici: Promise<Undici> | undefined;

/** undici, loaded on first use (a CommonJS module: bundled, its exports are under `default`). */
const loadUndici = (): Promise<Undici> =>
  (undici ??= import('undici').then((m) =>
    (m as { request?: unknown }).request ? m : (m as unknown as { default: Undici }).default,
  ));

/** The default transport: undici for http(s), fetch for the rest (a `data:` URL, say). */
export const defaultTransport: HttpTransport = async (call) => {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(call.url)?.[1]?.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') return fetchTransport(globalThis.fetch)(call);
  const { request } = await loadUndici();
  const headers: Record<string, string> = { ...DEFAULT_HEADERS };
  for (const [k, v] of Object.entries(call.headers)) headers[k.toLowerCase()] = v;
  const res = await request(call.url, {
    method: call.method as 'GET',
    headers,
    ...(call.body !== undefined ? { body: call.body } : {}),
    signal: call.signal,
    maxRedirections: MAX_REDIRECTS,
  });
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
  return {
    status: res.statusCode,
    statusText: STATUS_CODES[res.statusCode] ?? '',
    headers: flat,
    bytes: (cap) => readNode(res.body, flat, cap),
    discard: async () => drop(res.body),
  };
};

/** Reads a Node stream body, decoded per its content-encoding, failing once past `cap` bytes. */
async function readNode(body: Readable, headers: Record<string, string>, cap: number): Promise<Uint8Array> {
  const declared = Number(headers['content-length'] ?? NaN);
  const coding = headers['content-encoding']?.trim().toLowerCase();
  const decoder =
    coding === 'gzip' || coding === 'x-gzip' || coding === 'deflate'
      ? createUnzip()
      : coding === 'br'
        ? createBrotliDecompress()
        : undefined;
  // A declared length over the cap, as sent and not compressed: refused before a byte is read.
  if (decoder === undefined && Number.isFinite(declared) && declared > cap) {
    drop(body);
    throw new TooLarge();
  }
  const source: Readable = decoder ? body.pipe(decoder) : body;
  if (decoder) body.on('error', (err) => decoder.destroy(err));
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      total += chunk.byteLength;
      if (total > cap) throw new TooLarge();
      chunks.push(chunk);
    }
  } catch (err) {
    drop(body);
    decoder?.destroy();
    throw err;
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}

/** Stops reading a body; the abort it reports is expected. */
function drop(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}

/** A transport over a fetch (a host's own, or for schemes undici does not speak). */
export function fetchTransport(f: typeof fetch): HttpTransport {
  return async (call) => {
    const init: RequestInit = { method: call.method, headers: call.headers, signal: call.signal, redirect: 'follow' };
    if (call.body !== undefined) init.body = call.body;
    const res = await f(call.url, init);
    const headers: Record<string, string> = {};
    res.headers.forEach((value, key) => {
      headers[key] = value;
    });
    return {
      status: res.status,
      statusText: res.statusText,
      headers,
      bytes: (cap) => readWeb(res, cap),
      discard: async () => {
        await res.body?.cancel().catch(() => {});
      },
    };
  };
}

/** Reads a fetch body (fetch decodes it), failing as soon as more than `cap` bytes have arrived. */
async function readWeb(res: Response, cap: number): Promise<Uint8Array> {
  const length = res.headers.get('content-length');
  const declared = length === null ? NaN : Number(length);
  if (Number.isFinite(declared) && declared > cap) {
    await res.body?.cancel().catch(() => {});
    throw new TooLarge();
  }
  if (!res.body) return new Uint8Array(0);
  // A declared length within the cap, as sent (not decompressed): HTTP framing ends the body there.
  if (Number.isFinite(declared) && !res.headers.has('content-encoding')) {
    return new Uint8Array(await res.arrayBuffer());
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > cap) {
      await reader.cancel().catch(() => {});
      throw new TooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
