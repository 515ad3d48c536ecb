/**
 * How an `http` node's request reaches the network. The default sends http: and https: requests
 * with undici's `request` (the client inside Node's own fetch, without the WHATWG layers: about
 * half the CPU of a fetch per request, and its request is written to the socket before the
 * engine's next commit, so the two overlap); any other scheme, or a `fetch` a host gives, goes
 * through fetch. Both follow redirects as fetch does (at most 20; a POST redirected by 301/302 and
 * anything but a GET or HEAD by 303 goes on as a GET), decode gzip, deflate and br bodies, and
 * stop reading a body as soon as it passes the node's cap.
 */
import { constants } from 'node:buffer';
import { STATUS_CODES } from 'node:http';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate, inflateRaw } from 'node:zlib';
import { NodeFailure } from '../../core/errors.js';
import type { HttpCall, HttpReply, HttpTransport } from '../../core/ports.js';

const { MAX_LENGTH } = constants;

export type { HttpCall, HttpReply, HttpTransport };

/** A body over the cap: the caller says which cap. */
export class TooLarge extends Error {}

const MAX_REDIRECTS = 20;
/** Sent unless the node sets them (fetch sends the like). */
export const DEFAULT_HEADERS = { accept: '*/*', 'accept-encoding': 'gzip, deflate, br', 'user-agent': 'statepipe' };

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
  let headers: Record<string, string> = { ...DEFAULT_HEADERS };
  for (const [k, v] of Object.entries(call.headers)) headers[k.toLowerCase()] = v;
  let { url, method, body } = call;
  // Redirects are followed as fetch follows them (WHATWG Fetch "HTTP-redirect fetch").
  for (let hops = 0; ; hops++) {
    const res = await request(url, {
      method: method as 'GET',
      headers,
      ...(body !== undefined ? { body } : {}),
      signal: call.signal,
    });
    const given = res.headers['location'];
    const location = Array.isArray(given) ? given[0] : given;
    if (!REDIRECTS.has(res.statusCode) || typeof location !== 'string') return reply(res, method);
    // Its body is of no use, and may never end: not waited for.
    drop(res.body);
    if (hops >= MAX_REDIRECTS) throw new TypeError(`redirect count exceeded (more than ${MAX_REDIRECTS})`);
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw refused(`redirected to ${JSON.stringify(location)}, which is not a URL`);
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:')
      throw refused(`redirected to a ${next.protocol} URL, which is not followed`);
    // 301/302 after a POST, and 303 after anything but GET/HEAD, go on as a GET without the body.
    const status = res.statusCode;
    if (((status === 301 || status === 302) && method === 'POST') || (status === 303 && !/^(GET|HEAD)$/.test(method))) {
      method = 'GET';
      body = undefined;
      headers = without(headers, /^content-(type|length|encoding|language|location)$/);
    }
    // Credentials are not carried to another origin.
    if (next.origin !== new URL(url).origin)
      headers = without(headers, /^(authorization|proxy-authorization|cookie|host)$/);
    url = next.href;
  }
};

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** A redirect that cannot be followed: the server's answer, not a passing fault (not retried). */
const refused = (why: string) => new NodeFailure('http-status', `http: ${why}`, { retryable: false });

const without = (h: Record<string, string>, names: RegExp): Record<string, string> =>
  Object.fromEntries(Object.entries(h).filter(([k]) => !names.test(k)));

function reply(res: Awaited<ReturnType<Undici['request']>>, method: string): HttpReply {
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
  // A HEAD, 204 or 304 has no body, whatever its headers say of one.
  const empty = method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304;
  return {
    status: res.statusCode,
    statusText: STATUS_CODES[res.statusCode] ?? '',
    headers: flat,
    bytes: (cap) => (empty ? res.body.dump().then(() => new Uint8Array(0)) : readNode(res.body, flat, cap)),
    discard: async () => drop(res.body),
  };
}

/** Decoders by content coding; `deflate` is zlib-wrapped or raw, as its first byte says (as fetch reads it). */
const unzip = { gzip: promisify(gunzip), inflate: promisify(inflate), inflateRaw: promisify(inflateRaw) };
const DECODE: Record<string, (b: Buffer, o: { maxOutputLength: number }) => Promise<Buffer>> = {
  gzip: unzip.gzip,
  'x-gzip': unzip.gzip,
  br: promisify(brotliDecompress),
  deflate: (b, o) => ((b[0]! & 0x0f) === 0x08 ? unzip.inflate(b, o) : unzip.inflateRaw(b, o)),
};

/** What a compressed body may take on the wire beyond the cap on what it decodes to. */
const WIRE_SLACK = 64 * 1024;

/**
 * Reads a Node stream body, failing once past `cap` bytes: as sent, or decoded per its
 * content-encoding (codings applied in order are undone in reverse; an unknown one leaves the
 * body as sent). The decoded size is bounded while decoding, so a small bomb stops at the cap.
 */
async function readNode(body: Readable, headers: Record<string, string>, cap: number): Promise<Uint8Array> {
  const codings = (headers['content-encoding'] ?? '')
    .toLowerCase()
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '' && c !== 'identity');
  const decoders = codings.every((c) => DECODE[c] !== undefined) ? codings.reverse().map((c) => DECODE[c]!) : [];
  const wireCap = decoders.length > 0 ? cap + WIRE_SLACK : cap;
  const declared = Number(headers['content-length'] ?? NaN);
  // A declared length over what may come: refused before a byte is read.
  if (Number.isFinite(declared) && declared > wireCap) {
    drop(body);
    throw new TooLarge();
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      total += chunk.byteLength;
      if (total > wireCap) throw new TooLarge();
      chunks.push(chunk);
    }
  } catch (err) {
    drop(body);
    throw err;
  }
  let out = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  if (out.byteLength === 0) return out;
  try {
    // A Buffer holds at most MAX_LENGTH bytes (4 GiB on Node 20), whatever cap a node asks for.
    for (const decode of decoders) out = await decode(out, { maxOutputLength: Math.min(cap, MAX_LENGTH) });
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw new TooLarge();
    throw err;
  }
  if (out.byteLength > cap) throw new TooLarge();
  return out;
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
