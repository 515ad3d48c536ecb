/**
 * `statepipe resume` of a paused run another process still drives (docs/cli.md "statepipe
 * resume"): a `run` in a child process is paused while its delay node runs, and holds the run
 * until the node ends. The resume is left for it as a control and it goes on at once; the command
 * says so and exits 0. Before, the resume was refused (exit 2) until the node ended.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliEntry, startedRunId, tmpDir } from './cli-test-kit.js';

/** start → a 5 s delay → out. */
const SLOW = {
  format: 'statepipe.graph',
  version: 1,
  id: 'slow',
  nodes: [
    { id: 'start', type: 'input' },
    { id: 'wait', type: 'delay', config: { ms: 5000 } },
    { id: 'out', type: 'output', config: { value: 'done' } },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'wait' },
    { id: 'e2', source: 'wait', target: 'out' },
  ],
};

describe('resume of a paused run driven by another process (SQLite)', () => {
  it('is carried out by that process at once; the command exits 0', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'runs.db');
    fs.writeFileSync(path.join(dir, 'slow.json'), JSON.stringify(SLOW));
    const driver = spawn(process.execPath, [...cliEntry(), 'run', 'slow.json', '--db', db], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    driver.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    driver.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((r) => driver.once('exit', (code) => r(code)));
    try {
      const t = Date.now();
      while (!/wait started/.test(out)) {
        if (Date.now() - t > 20_000) throw new Error(`the delay never started: ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const runId = startedRunId(out);
      const paused = await cli(['pause', runId, '--db', db], { cwd: dir });
      expect(paused.code, paused.stdout + paused.stderr).toBe(3);

      const t0 = Date.now();
      const resumed = await cli(['resume', runId, '--db', db], { cwd: dir });
      expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
      expect(Date.now() - t0).toBeLessThan(4_000);
      expect(resumed.stdout).toContain(`[run] id=${runId} resumed: the process that drives it goes on with it`);

      expect(await exited, out).toBe(0);
      expect(out).toMatch(new RegExp(`\\[run\\] id=${runId} succeeded`));
      const events = await cli(['export', runId, '--db', db], { cwd: dir });
      const types = events.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { type: string }).type);
      expect(types.filter((x) => x === 'run.paused' || x === 'run.resumed')).toEqual(['run.paused', 'run.resumed']);
      expect(types).not.toContain('run.interrupted');
    } finally {
      driver.kill('SIGKILL');
    }
  }, 60_000);
});
