/**
 * The http node's transports against a real server on 127.0.0.1: the default (undici) and a
 * fetch a host gives answer alike: redirects followed, bodies decoded, repeated headers joined,
 * the node's headers over the defaults; other schemes go through fetch.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultTransport, fetchTransport, TooLarge, type HttpCall } from './http-transport.js';

let server: Server;
let base = '';
let last: { method: string; url: string; headers: IncomingMessage['headers']; body: string } | undefined;
const WORDS = 'decoded words '.repeat(200);

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      last = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      const packed: Record<string, [string, Buffer]> = {
        '/gzip': ['gzip', gzipSync(WORDS)],
        '/deflate': ['deflate', deflateSync(WORDS)],
        '/raw-deflate': ['deflate', deflateRawSync(WORDS)],
        '/br': ['br', brotliCompressSync(WORDS)],
        '/twice': ['gzip, br', brotliCompressSync(gzipSync(WORDS))],
      };
      const coded = packed[req.url ?? ''];
      if (coded) {
        res.writeHead(200, { 'content-encoding': coded[0] });
        return res.end(req.method === 'HEAD' ? undefined : coded[1]);
      }
      if (req.url === '/moved') return res.writeHead(302, { location: '/landed' }).end();
      if (req.url === '/loop') return res.writeHead(302, { location: '/loop' }).end();
      if (req.url === '/endless-move') return void res.writeHead(302, { location: '/landed' }).write('moved'); // never ends
      if (req.url === '/to-ftp') return res.writeHead(302, { location: 'ftp://127.0.0.1/x' }).end();
      if (req.url === '/kept') return res.writeHead(307, { location: '/landed' }).end();
      if (req.url === '/cookies')
        return res
          .writeHead(200, [
            ['x-twice', 'a'],
            ['x-twice', 'b'],
          ])
          .end();
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '6' }).end('landed');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const call = (path: string, over: Partial<HttpCall> = {}): HttpCall => ({
  url: `${base}${path}`,
  method: 'GET',
  headers: {},
  signal: new AbortController().signal,
  ...over,
});
const text = async (p: ReturnType<typeof defaultTransport>, cap = 1 << 20) =>
  new TextDecoder().decode(await (await p).bytes(cap));

describe.each([
  ['undici (the default)', defaultTransport],
  ['a fetch', fetchTransport(globalThis.fetch)],
])('%s', (_name, send) => {
  it('decodes gzip, deflate (wrapped or raw), br and two codings, and caps what they decode to', async () => {
    for (const path of ['/gzip', '/deflate', '/raw-deflate', '/br', '/twice'])
      expect(await text(send(call(path)))).toBe(WORDS);
    await expect(text(send(call('/gzip')), 100)).rejects.toBeInstanceOf(TooLarge);
    // A HEAD has no body to decode, whatever its headers say.
    expect(await text(send(call('/gzip', { method: 'HEAD' })))).toBe('');
  });

  it('follows a redirect as fetch does: a 307 keeps the method and body, a POST redirected by 302 goes on as a GET', async () => {
    const moved = await send(call('/moved'));
    expect(moved.status).toBe(200);
    expect(new TextDecoder().decode(await moved.bytes(100))).toBe('landed');
    await (await send(call('/kept', { method: 'POST', body: '{"n":1}' }))).bytes(100);
    expect(last).toMatchObject({ method: 'POST', url: '/landed', body: '{"n":1}' });
    const posted = { method: 'POST', body: '{"n":2}', headers: { 'content-type': 'application/json' } };
    await (await send(call('/moved', posted))).bytes(100);
    expect(last).toMatchObject({ method: 'GET', url: '/landed', body: '' });
    expect(last?.headers['content-type']).toBeUndefined();
  });

  it('gives up a redirect loop after 20', async () => {
    const err = (await send(call('/loop')).catch((e: unknown) => e)) as Error & { cause?: Error };
    expect(`${err.message} ${err.cause?.message ?? ''}`).toMatch(/redirect count exceeded/);
  });

  it('joins a repeated header; names are lower case; a statusText is given', async () => {
    const res = await send(call('/cookies'));
    expect(res.headers['x-twice']).toBe('a, b');
    expect(res.statusText).toBe('OK');
    await res.discard();
  });

  it("sends the node's headers, over the defaults whatever their case", async () => {
    await (await send(call('/landed', { headers: { 'user-agent': 'billing/2', 'x-key': 'k' } }))).bytes(100);
    expect(last?.headers).toMatchObject({ 'user-agent': 'billing/2', 'x-key': 'k' });
  });
});

describe('the default transport', () => {
  it('follows a redirect whose body never ends at once, and refuses one it cannot follow, not to be retried', async () => {
    const t0 = Date.now();
    expect(await text(defaultTransport(call('/endless-move')))).toBe('landed');
    expect(Date.now() - t0).toBeLessThan(5_000);
    await expect(defaultTransport(call('/to-ftp'))).rejects.toMatchObject({ kind: 'http-status', retryable: false });
  });

  it('says who it is and what it decodes unless told otherwise', async () => {
    await (await defaultTransport(call('/landed'))).bytes(100);
    expect(last?.headers).toMatchObject({ 'user-agent': 'statepipe', 'accept-encoding': 'gzip, deflate, br' });
  });

  it('refuses a declared length over the cap before reading, and sends other schemes through fetch', async () => {
    await expect((await defaultTransport(call('/landed'))).bytes(3)).rejects.toBeInstanceOf(TooLarge);
    const data = await defaultTransport(call('', { url: 'data:text/plain,hello' }));
    expect(new TextDecoder().decode(await data.bytes(100))).toBe('hello');
  });
});
