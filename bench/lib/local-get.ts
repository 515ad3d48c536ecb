/**
 * The effect of the effectful chains: a GET to an HTTP server on 127.0.0.1 in the bench's own
 * process, and that GET's own time measured from the same process (subtracted from a chain's
 * per-step time, so what remains is the engine's durability and bookkeeping). The cases time it
 * between their repetitions, so the GETs subtracted ran on the machine as it was meanwhile.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LocalServer {
  url: string;
  close(): Promise<void>;
}

export async function localServer(): Promise<LocalServer> {
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ok`;
  return { url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Times of `n` raw GETs (fetch, body read) to `url`, µs, after `warm` unmeasured ones. */
export async function getSamples(url: string, n: number, warm = 20): Promise<number[]> {
  const gets: number[] = [];
  for (let i = 0; i < n + warm; i++) {
    const t0 = performance.now();
    await (await fetch(url)).text();
    if (i >= warm) gets.push((performance.now() - t0) * 1000);
  }
  return gets;
}
