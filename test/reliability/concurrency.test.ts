/**
 * One database, two processes, 50 runs at once: the CLI's batch (`--inputs`, `--concurrency 10`)
 * in a child process while the web host (`startServer`, this process) starts runs through its
 * HTTP API. No SQLITE_BUSY (or any database error) reaches a user, no event is lost (every
 * run's seqs are gapless from 1 and its log ends with its end), and every run finishes.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { cli, tempDir } from '../cli-harness.js';

const CLI_RUNS = 30;
const WEB_RUNS = 20;

const graph = {
  format: 'statepipe.graph',
  version: 1,
  id: 'busy',
  input: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
  nodes: [
    { id: 'start', type: 'input' },
    {
      id: 'say',
      type: 'llm',
      config: {
        provider: 'mock',
        model: 'mock-1',
        prompt: 'Count {{input.n}}',
        mock: { reply: 'alpha beta gamma delta epsilon zeta eta theta', tokensPerSecond: 40 },
      },
    },
    { id: 'wait', type: 'delay', config: { ms: 30 } },
    { id: 'shape', type: 'transform', config: { template: { n: '{{input.n}}', text: '{{nodes.say.output.text}}' } } },
    { id: 'result', type: 'output', config: { value: '{{nodes.shape.output}}' } },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'say' },
    { id: 'e2', source: 'start', target: 'wait' },
    { id: 'e3', source: 'say', target: 'shape' },
    { id: 'e4', source: 'wait', target: 'shape' },
    { id: 'e5', source: 'shape', target: 'result' },
  ],
};

const dir = tempDir();
const db = path.join(dir, 'shared.db');
let server: RunningServer | undefined;
const serverErrors: unknown[] = [];
afterAll(async () => {
  await server?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function call(
  method: string,
  input: unknown,
): Promise<{ ok: boolean; value?: Record<string, unknown>; error?: { code: string; message: string } }> {
  const res = await fetch(`http://127.0.0.1:${server!.port}/api/call`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server!.token}` },
    body: JSON.stringify({ method, input }),
  });
  return (await res.json()) as never;
}

describe('the CLI and the web host on one database', () => {
  it(`${CLI_RUNS + WEB_RUNS} runs at once: no SQLITE_BUSY, no lost event, every run finishes`, async () => {
    server = await startServer({ dbPath: db, port: 0, onError: (e) => serverErrors.push(e) });
    const graphFile = path.join(dir, 'busy.json');
    fs.writeFileSync(graphFile, JSON.stringify(graph));
    const inputs = path.join(dir, 'in.jsonl');
    fs.writeFileSync(inputs, Array.from({ length: CLI_RUNS }, (_, i) => JSON.stringify({ n: i })).join('\n') + '\n');

    const batch = cli(['run', graphFile, '--inputs', inputs, '--concurrency', '10', '--db', db], {
      timeoutMs: 120_000,
    });
    // Web runs start while the batch is writing: a few at a time, interleaved with it.
    const webIds: string[] = [];
    for (let i = 0; i < WEB_RUNS; i++) {
      const r = await call('runs.start', { graph, input: { n: 1000 + i } });
      expect(r.ok, JSON.stringify(r.error)).toBe(true);
      webIds.push(String(r.value!['runId']));
      if (i % 4 === 3) await new Promise((res) => setTimeout(res, 40));
    }
    const deadline = Date.now() + 90_000;
    for (const id of webIds) {
      for (;;) {
        const r = await call('runs.get', { runId: id });
        expect(r.ok, JSON.stringify(r.error)).toBe(true);
        const status = String(r.value!['status']);
        if (status === 'succeeded' || status === 'failed' || status === 'cancelled') {
          expect(status, id).toBe('succeeded');
          break;
        }
        if (Date.now() > deadline) throw new Error(`web run ${id} still ${status}`);
        await new Promise((res) => setTimeout(res, 50));
      }
    }
    const b = await batch;
    expect(b.stderr).not.toMatch(/SQLITE_BUSY|SQLITE_LOCKED|database is locked|locked by another process/i);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toContain(`batch: ${CLI_RUNS} runs: ${CLI_RUNS} succeeded, 0 failed, 0 waiting`);
    expect(serverErrors).toEqual([]);

    // Every run, from the file itself: finished, gapless, its log ending with its end.
    const conn = new Database(db, { readonly: true });
    try {
      const runs = conn.prepare('SELECT run_id, status FROM runs').all() as { run_id: string; status: string }[];
      expect(runs).toHaveLength(CLI_RUNS + WEB_RUNS);
      const log = conn.prepare('SELECT seq, type FROM events WHERE run_id = ? ORDER BY seq');
      for (const r of runs) {
        expect(r.status, r.run_id).toBe('succeeded');
        const events = log.all(r.run_id) as { seq: number; type: string }[];
        expect(
          events.map((e) => e.seq),
          r.run_id,
        ).toEqual(events.map((_, i) => i + 1));
        expect(events.at(-1)?.type, r.run_id).toBe('run.succeeded');
        expect(events.length).toBeGreaterThan(10);
      }
      // Both hosts took part.
      expect(runs.filter((r) => webIds.includes(r.run_id))).toHaveLength(WEB_RUNS);
    } finally {
      conn.close();
    }
  }, 150_000);
});
