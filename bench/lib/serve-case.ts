/**
 * `statepipe serve` on the scale database with runs in progress: the server is started as a user
 * starts it (bin/statepipe.js), `inProgress` runs are started through its REST API (a mock llm
 * streaming a long reply slowly, so they stay running), the dashboard's queries are asked while
 * they run, and the server's resident memory is read from /proc (VmRSS samples, VmHWM peak).
 * The runs are cancelled and deleted afterwards, so the cached database is left as it was.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mockLlmGraph } from './graphs.js';
import { removeLaterRuns } from './scale-db.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ServeSpec {
  kind: 'serve';
  file: string;
  runs: number;
  events: number;
  generatedAt: string;
  inProgress: number;
  /** How long memory is sampled with the runs in progress. */
  sampleMs: number;
  dir: string;
}

export interface ServeResult {
  kind: 'serve';
  runs: number;
  events: number;
  inProgress: number;
  /** From spawn until the URL is printed (recovery scan of the database included). */
  startMs: number;
  idleRssMiB: number;
  /** Highest VmRSS sampled while the runs were in progress. */
  busyRssMiB: number;
  /** The process's peak resident set (VmHWM) over the whole case. */
  peakRssMiB: number;
  /** How many of the runs were `running` when sampling began. */
  running: number;
  /** Dashboard API calls (runs.list with a count) answered while the runs streamed. */
  apiCalls: number;
  apiP95Ms: number;
}

function memory(pid: number): { rss: number; hwm: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/** A mock llm streaming 600 tokens at 20 tokens/s: its run stays in progress for 30 s. */
const LOAD_GRAPH = mockLlmGraph('bench-serve-load', 'Write about {{input.topic}}', {
  reply: Array.from({ length: 600 }, (_, i) => `word${i}`).join(' '),
  tokensPerSecond: 20,
});

export async function serveCase(spec: ServeSpec): Promise<ServeResult> {
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'bin', 'statepipe.js'), 'serve', '--port', '0', '--db', spec.file],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
  try {
    const base = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const m = /(http:\/\/127\.0\.0\.1:\d+)\/\?token=(\S+)/.exec(out);
        if (m) resolve(`${m[1]}|${m[2]}`);
      });
      child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
    });
    const startMs = performance.now() - t0;
    const [origin, token] = base.split('|') as [string, string];
    const api = async (method: string, url: string, body?: unknown): Promise<unknown> => {
      const res = await fetch(`${origin}${url}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
      return res.json();
    };
    await new Promise((r) => setTimeout(r, 500));
    const idle = memory(child.pid!);

    const ids: string[] = [];
    for (let i = 0; i < spec.inProgress; i++) {
      const r = (await api('POST', '/api/runs', { graph: LOAD_GRAPH, input: { topic: `topic ${i}` } })) as {
        runId: string;
      };
      ids.push(r.runId);
    }
    const listed = (await api('GET', `/api/runs?graphId=bench-serve-load&status=running&limit=100`)) as {
      runs: unknown[];
    };
    const running = listed.runs.length;

    // While they stream: sample memory and ask what the dashboard asks.
    const queries = [
      '/api/runs?limit=50',
      '/api/runs?limit=50&sort=cost',
      '/api/runs?limit=50&status=failed',
      '/api/runs?limit=50&text=invoice',
      '/api/runs?limit=50&sort=duration&offset=5000',
    ];
    let busy = 0;
    const lat: number[] = [];
    const end = performance.now() + spec.sampleMs;
    for (let i = 0; performance.now() < end; i++) {
      busy = Math.max(busy, memory(child.pid!).rss);
      const q0 = performance.now();
      await api('POST', '/api/call/runs.list', queryInput(queries[i % queries.length]!));
      lat.push(performance.now() - q0);
      await new Promise((r) => setTimeout(r, 200));
    }
    busy = Math.max(busy, memory(child.pid!).rss);
    const peak = memory(child.pid!).hwm;
    for (const id of ids) await api('POST', `/api/runs/${id}/cancel`, {}).catch(() => undefined);
    lat.sort((a, b) => a - b);
    return {
      kind: 'serve',
      runs: spec.runs,
      events: spec.events,
      inProgress: spec.inProgress,
      startMs,
      idleRssMiB: idle.rss,
      busyRssMiB: busy,
      peakRssMiB: peak,
      running,
      apiCalls: lat.length,
      apiP95Ms: lat[Math.min(lat.length - 1, Math.ceil(lat.length * 0.95) - 1)] ?? NaN,
    };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
    await removeLaterRuns(spec.file, spec.generatedAt);
  }
}

/** `/api/runs?…` as the `runs.list` call's input (the dashboard's call: rows and the total). */
function queryInput(url: string): Record<string, unknown> {
  const q = new URL(url, 'http://x').searchParams;
  const input: Record<string, unknown> = {};
  for (const [k, v] of q) input[k] = k === 'limit' || k === 'offset' ? Number(v) : v;
  return input;
}
