/**
 * Two `statepipe serve --workers` processes, a `statepipe worker` and the CLI on ONE PostgreSQL
 * database: a run started through server A's HTTP API is queued, driven by the worker to its
 * approval, seen live on server B's WebSocket and API, approved from the CLI (which records it and
 * leaves the driving to the worker), and finished; both servers show it succeeded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { cli, cliEntry, tmpDir } from '../../src/cli/cli-test-kit.js';
import { testDatabase } from './db.js';
import { GATED_GRAPH } from './graphs.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Proc {
  child: ChildProcess;
  out: string[];
}

const procs: Proc[] = [];
afterAll(() => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
});

function start(args: string[], cwd: string): Proc {
  const child = spawn(process.execPath, [...cliEntry(), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const p: Proc = { child, out: [] };
  for (const s of [child.stdout!, child.stderr!])
    s.setEncoding('utf8').on('data', (d: string) => p.out.push(...d.split('\n').filter(Boolean)));
  procs.push(p);
  return p;
}

async function until<T>(
  what: string | (() => string),
  probe: () => T | undefined | Promise<T | undefined>,
  ms = 60_000,
): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out: ${typeof what === 'string' ? what : what()}`);
    await sleep(100);
  }
}

/** `statepipe serve --workers` on `db`: its address and token, from the line it prints first. */
async function serve(db: string, cwd: string): Promise<{ proc: Proc; base: string; token: string }> {
  const proc = start(['serve', '--db', db, '--workers', '--port', '0'], cwd);
  const line = await until(
    () => `serve prints its studio line (it printed: ${proc.out.join(' | ')})`,
    () => proc.out.find((l) => l.startsWith('studio: ')),
  );
  const url = new URL(line.slice('studio: '.length));
  return { proc, base: url.origin, token: url.searchParams.get('token')! };
}

describe('two servers, a worker and the CLI on one PostgreSQL database', () => {
  it('a run started on A is driven by the worker, live on B, approved from the CLI, finished on both', async () => {
    const db = await testDatabase();
    const dir = tmpDir();
    const [a, b] = await Promise.all([serve(db, dir), serve(db, dir)]);
    const worker = start(['worker', '--db', db, '--name', 'w1'], dir);
    const api = (s: { base: string; token: string }) => async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${s.base}${path}`, {
        method,
        headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const onA = api(a);
    const onB = api(b);

    // B's studio socket, open before the run exists: what it is pushed is what a studio on B shows.
    // Every run's events as they come: the run's first ones may arrive before A's answer names it.
    const pushedByRun = new Map<string, { type: string; seq: number }[]>();
    const ws = new WebSocket(`${b.base.replace('http', 'ws')}/ws?token=${b.token}`);
    await new Promise<void>((resolve, reject) => {
      ws.once('message', () => resolve()); // hello
      ws.once('error', reject);
    });
    let runId = '';
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw)) as {
        kind?: string;
        runId?: string;
        events?: { type: string; seq: number }[];
      };
      if (msg.kind !== 'events' || msg.runId === undefined) return;
      (pushedByRun.get(msg.runId) ?? pushedByRun.set(msg.runId, []).get(msg.runId)!).push(...msg.events!);
    });
    try {
      const started = await onA('POST', '/api/runs', { graph: GATED_GRAPH, input: {} });
      expect(started.status, JSON.stringify(started.body)).toBe(201);
      runId = String(started.body['runId']);
      const pushed = () => pushedByRun.get(runId) ?? [];
      const status = async (on: typeof onA) => String((await on('GET', `/api/runs/${runId}`)).body['status']);

      // Driven by the worker (A only queued it), seen live on B.
      await until('B is pushed the approval request', () => pushed().some((e) => e.type === 'approval.requested'));
      expect(await status(onB)).toBe('waiting');
      expect(await status(onA)).toBe('waiting');
      await until('the worker reports it waiting', () =>
        worker.out.some((l) => l.includes(`finished ${runId} waiting`)),
      );
      expect(a.proc.out.join('\n')).not.toContain(runId);

      // Approved from the CLI: recorded, and the worker continues it (the CLI does not drive it).
      const approve = await cli(['approve', runId, 'gate', '--by', 'carol', '--db', db], {
        cwd: dir,
        timeoutMs: 60_000,
      });
      expect(approve.code, approve.stderr).toBe(0);
      await until('B is pushed the end of the run', () => pushed().some((e) => e.type === 'run.succeeded'));
      await until('the worker finished it', () => worker.out.some((l) => l.includes(`finished ${runId} succeeded`)));
      expect(await status(onA)).toBe('succeeded');
      expect(await status(onB)).toBe('succeeded');
      const seqs = pushed()
        .map((e) => e.seq)
        .sort((x, y) => x - y);
      expect(seqs, 'B was pushed every event once, none missing').toEqual(seqs.map((_, i) => i + 1));
      const log = await onB('POST', '/api/call', { method: 'runs.events', input: { runId, afterSeq: 0 } });
      const events = (log.body['value'] as { events: { type: string; data: { by?: string } }[] }).events;
      expect(events.find((e) => e.type === 'approval.granted')?.data.by).toBe('carol');
    } finally {
      ws.close();
      for (const p of [worker, a.proc, b.proc]) p.child.kill('SIGTERM');
    }
  }, 120_000);
});
