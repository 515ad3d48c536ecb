/**
 * `statepipe chaos --db postgres://… --workers N` (docs/cli.md "statepipe chaos"): runs of the
 * chaos graph (streaming llm, idempotent PUT, unsafe POST, verified POST, delay, approval) queued
 * for 3 workers that are SIGKILLed at random and replaced; every run matches the uninterrupted
 * reference, no unsafe key reached the server twice, and runs were taken over by other workers.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, tmpDir } from '../../src/cli/cli-test-kit.js';
import { chaosGraph } from '../reliability/chaos-graph.js';
import { startCountingServer, type CountingServer } from '../reliability/counting-server.js';
import { testDatabase } from './db.js';

let server: CountingServer;
beforeAll(async () => {
  server = await startCountingServer();
});
afterAll(async () => {
  await server?.close();
});

interface Summary {
  runs: number;
  kills: number;
  takenOver: number;
  approvals: number;
  mismatches: number;
  problems: string[];
}

describe('statepipe chaos on workers', () => {
  it('kills workers at random while 12 runs proceed; every run matches the reference', async () => {
    const db = await testDatabase();
    const dir = tmpDir();
    const graphFile = path.join(dir, 'chaos.json');
    // A longer delay keeps runs on their workers long enough for kills to find them busy.
    const graph = chaosGraph(server.url) as { nodes: { id: string; config?: Record<string, unknown> }[] };
    graph.nodes.find((n) => n.id === 'pause')!.config = { ms: 1500 };
    fs.writeFileSync(graphFile, JSON.stringify(graph));
    const args = ['chaos', graphFile, '-n', '12', '--seed', '11', '--workers', '3', '--max-kills', '1'];
    const input = JSON.stringify({ text: 'a b c', id: 'w' });
    const r = await cli([...args, '--input', input, '--counts-url', `${server.url}/counts`, '--json', '--db', db], {
      cwd: dir,
      timeoutMs: 280_000,
    });
    if (r.code !== 0 && r.code !== 1) throw new Error(`chaos exited ${r.code}: ${r.stderr}`);
    const summary = JSON.parse(r.stdout) as Summary;
    expect(summary.problems, r.stderr).toEqual([]);
    expect(r.code).toBe(0);
    expect(summary.mismatches).toBe(0);
    expect(summary.runs).toBe(12);
    // How many kills find a busy worker depends on the machine's speed: at least one, and a takeover.
    expect(summary.kills).toBeGreaterThanOrEqual(1);
    expect(summary.takenOver, 'runs resumed by another worker').toBeGreaterThan(0);
    expect(summary.approvals).toBeGreaterThanOrEqual(12);
    expect(r.stderr).toMatch(/workers killed: \d+ · runs taken over: \d+/);
  }, 300_000);

  it('refuses --workers without a PostgreSQL store, and with --parallel', async () => {
    const dir = tmpDir();
    const graphFile = path.join(dir, 'chaos.json');
    fs.writeFileSync(graphFile, JSON.stringify(chaosGraph(server.url)));
    const onFile = await cli(['chaos', graphFile, '--workers', '2', '--db', path.join(dir, 'x.db')], { cwd: dir });
    expect(onFile.code).toBe(2);
    expect(onFile.stderr).toContain('chaos --workers needs a PostgreSQL store');
    const db = await testDatabase();
    const parallel = await cli(['chaos', graphFile, '--workers', '2', '--parallel', '2', '--db', db], { cwd: dir });
    expect(parallel.code).toBe(2);
    expect(parallel.stderr).toContain('--parallel does not apply');
  });
});
