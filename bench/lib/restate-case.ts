/**
 * Restate (dev dependencies `@restatedev/restate-server`, whose binary ships in a per-platform
 * npm package, and `@restatedev/restate-sdk`) on the same chain as the effectful statepipe chains:
 * restate-server runs in a temporary folder on free ports of 127.0.0.1; this process serves the
 * SDK's endpoint (HTTP/2 on 127.0.0.1) and registers it; one invocation runs `steps` durable
 * `ctx.run` steps, each a no-op or the same local GET (its own time, measured from this process,
 * subtracted). When Restate is missing or does not start, the case says why and returns.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http2 from 'node:http2';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CHAIN_WARM_RUNS, get, getSamples, localServer } from './local-get.js';
import { median, repeat, type Reps } from './stats.js';

export type RestateFlavor = 'noop' | 'http';

export interface RestateSpec {
  kind: 'restate';
  steps: number;
  reps: Reps;
  dir: string;
}

export interface RestateRun {
  flavor: RestateFlavor;
  reps: number;
  wallMs: number;
  usPerStep: number;
  /** http: the raw GET's own time (µs), subtracted from usPerStep. */
  effectUs?: number;
}

export interface RestateResult {
  kind: 'restate';
  steps: number;
  available: boolean;
  /** The server's version, or why Restate could not run. */
  note: string;
  runs: RestateRun[];
}

const require = createRequire(import.meta.url);

function serverBinary(): string {
  return require.resolve(`@restatedev/restate-server-${os.platform()}-${os.arch()}/bin/restate-server`);
}

/** The SDK calls Promise.withResolvers (Node 22); a stand-in on older Node. */
function withResolversStandIn(): void {
  const P = Promise as unknown as { withResolvers?: unknown };
  if (P.withResolvers) return;
  P.withResolvers = <T>() => {
    let resolve!: (v: T) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

interface Server {
  child: ChildProcess;
  ingress: string;
  admin: string;
}

/** Starts restate-server on random ports of 127.0.0.1 and reads them from its log. */
function startServer(dir: string): Promise<Server> {
  const child = spawn(
    serverBinary(),
    [
      '--no-logo',
      '--base-dir',
      dir,
      '--use-random-ports',
      'true',
      '--listen-mode',
      'tcp',
      '--bind-ip',
      '127.0.0.1',
      '--node-name',
      'bench',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', RESTATE_LOG_FILTER: 'info' } },
  );
  return new Promise((resolve, reject) => {
    let log = '';
    const ports = new Map<string, number>();
    const timer = setTimeout(() => fail(new Error('did not listen within 60 s')), 60_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    const read = (d: Buffer) => {
      // eslint-disable-next-line no-control-regex
      log = (log + d.toString()).replace(/\x1b\[[0-9;]*m/g, '').slice(-20_000);
      for (const m of log.matchAll(/server_name: (\S+)\s+server\.address: \S+\s+server\.port: (\d+)/g))
        ports.set(m[1]!, Number(m[2]));
      const ingress = ports.get('http-ingress-server');
      const admin = ports.get('admin-api-server');
      if (ingress && admin) {
        clearTimeout(timer);
        child.stdout.off('data', read);
        child.stderr.off('data', read);
        resolve({ child, ingress: `http://127.0.0.1:${ingress}`, admin: `http://127.0.0.1:${admin}` });
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('error', fail);
    child.on('exit', (code) => fail(new Error(`exited (${code}): ${log.trim().split('\n').slice(-3).join(' | ')}`)));
  });
}

async function stopServer(s: Server): Promise<void> {
  if (s.child.exitCode !== null) return;
  const gone = new Promise<void>((r) => s.child.once('exit', () => r()));
  s.child.kill('SIGTERM');
  const timer = setTimeout(() => s.child.kill('SIGKILL'), 5_000);
  await gone;
  clearTimeout(timer);
}

async function post(url: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${text.slice(0, 200)}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

export async function restateCase(spec: RestateSpec): Promise<RestateResult> {
  const unavailable = (why: unknown): RestateResult => ({
    kind: 'restate',
    steps: spec.steps,
    available: false,
    note: `not available: ${why instanceof Error ? why.message : String(why)}`.split('\n')[0]!,
    runs: [],
  });
  let sdk: typeof import('@restatedev/restate-sdk');
  let version: string;
  try {
    serverBinary();
    version = (require('@restatedev/restate-server/package.json') as { version: string }).version;
    withResolversStandIn();
    // Its log line per invocation would be most of the bench's output.
    process.env['RESTATE_LOGGING'] ??= 'WARN';
    sdk = await import('@restatedev/restate-sdk');
  } catch (err) {
    return unavailable(err);
  }
  const target = await localServer();
  const chain = sdk.service({
    name: 'chain',
    handlers: {
      noop: async (ctx: import('@restatedev/restate-sdk').Context, steps: number): Promise<number> => {
        let sum = 0;
        for (let i = 0; i < steps; i++) sum += await ctx.run(`s${i}`, async () => 1);
        return sum;
      },
      http: async (ctx: import('@restatedev/restate-sdk').Context, steps: number): Promise<number> => {
        let sum = 0;
        for (let i = 0; i < steps; i++)
          sum += await ctx.run(`s${i}`, async () => ((await get(target.url)).length > 0 ? 1 : 0));
        return sum;
      },
    },
  });
  const endpoint = http2.createServer(sdk.createEndpointHandler({ services: [chain] }));
  await new Promise<void>((r) => endpoint.listen(0, '127.0.0.1', r));
  let dir: string | undefined;
  let server: Server | undefined;
  try {
    try {
      dir = fs.mkdtempSync(path.join(spec.dir || os.tmpdir(), 'restate-'));
      server = await startServer(dir);
      const uri = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}`;
      await post(`${server.admin}/deployments`, { uri });
    } catch (err) {
      return unavailable(err);
    }
    const call = (flavor: RestateFlavor, steps: number) => post(`${server!.ingress}/chain/${flavor}`, steps);
    const runs: RestateRun[] = [];
    for (const flavor of ['noop', 'http'] as const) {
      // Warmed as statepipe's chains are: whole invocations of the timed length.
      for (let i = 0; i < CHAIN_WARM_RUNS; i++) await call(flavor, spec.steps);
      const walls: number[] = [];
      const gets: number[] = [];
      const reps = await repeat(spec.reps.minReps, spec.reps.maxReps, spec.reps.minMs, async () => {
        const t0 = performance.now();
        const sum = await call(flavor, spec.steps);
        walls.push(performance.now() - t0);
        if (sum !== spec.steps) throw new Error(`restate ${flavor}: ${String(sum)} of ${spec.steps} steps`);
        // The GET alone, after each invocation (as the statepipe chains do).
        if (flavor === 'http') gets.push(...(await getSamples(target.url, 100)));
      });
      const effectUs = flavor === 'http' ? median(gets) : undefined;
      const wallMs = median(walls);
      const usPerStep = (wallMs * 1000) / spec.steps - (effectUs ?? 0);
      runs.push({ flavor, reps, wallMs, usPerStep, ...(effectUs === undefined ? {} : { effectUs }) });
    }
    return { kind: 'restate', steps: spec.steps, available: true, note: `restate-server ${version}`, runs };
  } finally {
    if (server) await stopServer(server);
    endpoint.close();
    await target.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}
