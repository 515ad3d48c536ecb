/**
 * The effect of the effectful chains: a GET to an HTTP server on 127.0.0.1 (in a process of its
 * own), and that GET's own time measured from the bench's process (subtracted from a chain's
 * per-step time, so what remains is the engine's durability and bookkeeping). The cases time it
 * between their repetitions, so the GETs subtracted ran on the machine as it was meanwhile.
 */
import { spawn } from 'node:child_process';
import { request } from 'undici';
import { DEFAULT_HEADERS } from '../../src/host/runners/http-transport.js';

/** Whole runs of a chain (statepipe's, Restate's) before the timed ones: the steady state is timed, not the JIT's first passes. */
export const CHAIN_WARM_RUNS = 8;

export interface LocalServer {
  url: string;
  close(): Promise<void>;
}

const SERVER = `
const http = require('node:http');
const server = http.createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}')); });
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
process.stdin.on('end', () => process.exit(0)).resume();
`;

/**
 * The server, in a process of its own as a real service is: its work is not the measured
 * process's, and it answers while that process is busy (writing a commit, say).
 */
export async function localServer(): Promise<LocalServer> {
  const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()));
  });
  return {
    url: `http://127.0.0.1:${port}/ok`,
    close: () =>
      new Promise<void>((r) => {
        child.once('exit', () => r());
        child.stdin.end();
      }),
  };
}

/**
 * The headers an `http` node sends with a request it is not given any for: the client's defaults
 * and the attempt's idempotency key (one of the length a run's key has).
 */
const NODE_HEADERS = { ...DEFAULT_HEADERS, 'idempotency-key': 'run_01M98VFRN8FWZ2BWRBWXB03M6F:n123:1' };

/**
 * One raw request, its body read: the request statepipe's `http` node sends (its headers), with
 * its client, undici's `request`, so the effect subtracted is the one the node pays. The other
 * engines' steps (Restate's `ctx.run`) send the same request: every side is timed beyond the same effect.
 */
export async function get(url: string, method = 'GET'): Promise<string> {
  return (await request(url, { method: method as 'GET', headers: NODE_HEADERS })).body.text();
}

/** Times of `n` raw requests (`get`; GET unless said) to `url`, µs, after `warm` unmeasured ones. */
export async function getSamples(url: string, n: number, warm = 20, method = 'GET'): Promise<number[]> {
  const gets: number[] = [];
  for (let i = 0; i < n + warm; i++) {
    const t0 = performance.now();
    await get(url, method);
    if (i >= warm) gets.push((performance.now() - t0) * 1000);
  }
  return gets;
}
