/**
 * A run whose process died is `interrupted` (docs/runtime.md "Run states") in the CLI's read commands too, not
 * only once `serve` or the app started: list and inspect show it so (computed: read commands
 * write nothing), and `resume` records it and continues the run.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { cli, cliEntry, runAndKill, startedRunId, tmpDir } from './cli-test-kit.js';

const delayGraph = (ms: number) => ({
  format: 'statepipe.graph',
  version: 1,
  id: 'slow',
  nodes: [
    { id: 'start', type: 'input' },
    { id: 'wait', type: 'delay', config: { ms } },
    { id: 'out', type: 'output', config: { value: 'done' } },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'wait' },
    { id: 'e2', source: 'wait', target: 'out' },
  ],
});

describe('a run whose process was SIGKILLed', () => {
  it('list counts the children it left running as interrupted, as list --parent shows them', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'db');
    const file = path.join(dir, 'fan.json');
    const slow = delayGraph(5000);
    const fan = {
      format: 'statepipe.graph',
      version: 1,
      id: 'fan',
      graphs: { slow },
      nodes: [{ id: 'each', type: 'map', config: { graph: 'slow', items: [1, 2] } }],
      edges: [],
    };
    fs.writeFileSync(file, JSON.stringify(fan));
    const runId = await runAndKill(file, db, /each started/, 700);
    const kids = JSON.parse((await cli(['list', '--parent', runId, '--json', '--db', db])).stdout) as {
      status: string;
    }[];
    expect(kids.map((k) => k.status)).toEqual(['interrupted', 'interrupted']);
    const rows = JSON.parse((await cli(['list', '--json', '--db', db])).stdout) as {
      runId: string;
      children?: Record<string, number>;
    }[];
    expect(rows.find((r) => r.runId === runId)?.children).toEqual({ interrupted: 2 });
    expect((await cli(['list', '--db', db])).stdout).toMatch(/2 interrupted/);
  });

  it('list and inspect show it interrupted, list --status interrupted finds it, resume finishes it', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'db');
    const file = path.join(dir, 'slow.json');
    fs.writeFileSync(file, JSON.stringify(delayGraph(1500)));
    const runId = await runAndKill(file, db);

    const listed = await cli(['list', '--status', 'interrupted', '--json', '--db', db]);
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { runId: string }[]).map((r) => r.runId)).toEqual([runId]);
    expect((await cli(['list', '--db', db])).stdout).toMatch(new RegExp(`${runId}\\s+slow\\s+interrupted`));
    const d = JSON.parse((await cli(['inspect', runId, '--json', '--db', db])).stdout) as { status: string };
    expect(d.status).toBe('interrupted');
    const events = (await cli(['export', runId, '--db', db])).stdout.trim().split('\n');
    expect(events.filter((l) => l.includes('"run.interrupted"'))).toHaveLength(0); // read commands write nothing

    const resumed = await cli(['resume', runId, '--db', db]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/succeeded/);
    const after = (await cli(['export', runId, '--db', db])).stdout.trim().split('\n');
    expect(after.filter((l) => l.includes('"run.interrupted"'))).toHaveLength(1); // resume recorded it, once
  });

  it('a run driven by a live process is left running', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'db');
    const file = path.join(dir, 'slow.json');
    fs.writeFileSync(file, JSON.stringify(delayGraph(60_000)));
    const child = spawn(process.execPath, [...(await cliEntry()), 'run', file, '--db', db], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      let out = '';
      await new Promise<void>((resolve) => {
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          if (/wait started/.test(out)) resolve();
        });
      });
      const runId = startedRunId(out);
      const d = JSON.parse((await cli(['inspect', runId, '--json', '--db', db])).stdout) as { status: string };
      expect(d.status).toBe('running');
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('a failed run retried, its retry SIGKILLed', () => {
  it('is running in the runs table while the retry runs, so the crash shows it interrupted and resume ends it', async () => {
    // The server fails the first request (400: not retryable, the run fails), holds the second
    // (the retry, killed while it waits) and answers the third (the resume).
    let requests = 0;
    const server = createServer((_req, res) => {
      requests++;
      if (requests === 1) res.writeHead(400).end('no');
      else if (requests === 2) setTimeout(() => res.writeHead(200).end('late'), 60_000).unref();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const dir = tmpDir();
      const db = path.join(dir, 'db');
      const file = path.join(dir, 'fetch.json');
      fs.writeFileSync(
        file,
        JSON.stringify({
          format: 'statepipe.graph',
          version: 1,
          id: 'fetch',
          nodes: [
            { id: 'start', type: 'input' },
            {
              id: 'fetch',
              type: 'http',
              timeoutMs: 120_000,
              config: { method: 'GET', url: `http://127.0.0.1:${port}/x` },
            },
          ],
          edges: [{ id: 'e1', source: 'start', target: 'fetch' }],
        }),
      );
      const failed = await cli(['run', file, '--db', db]);
      expect(failed.code, failed.stderr).toBe(1);
      const runId = startedRunId(failed.stdout + failed.stderr);

      const child = spawn(process.execPath, [...(await cliEntry()), 'retry', runId, 'fetch', '--db', db], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      for (let i = 0; i < 1200 && requests < 2; i++) await new Promise((r) => setTimeout(r, 50));
      expect(requests, out).toBe(2); // the retried node is running
      const row = new Database(db, { readonly: true });
      const status = () => row.prepare('SELECT status FROM runs WHERE run_id = ?').pluck().get(runId);
      expect(status()).toBe('running');
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;

      const d = JSON.parse((await cli(['inspect', runId, '--json', '--db', db])).stdout) as { status: string };
      expect(d.status).toBe('interrupted');
      const listed = await cli(['list', '--status', 'interrupted', '--json', '--db', db]);
      expect((JSON.parse(listed.stdout) as { runId: string }[]).map((r) => r.runId)).toEqual([runId]);
      const resumed = await cli(['resume', runId, '--db', db]);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(status()).toBe('succeeded');
      const finished = row.prepare('SELECT error, finished_at FROM runs WHERE run_id = ?').get(runId) as {
        error: string | null;
        finished_at: string | null;
      };
      expect(finished.error).toBeNull(); // the failure of before the retry is gone with it
      expect(finished.finished_at).not.toBeNull();
      row.close();
    } finally {
      server.close();
    }
  }, 120_000);
});
