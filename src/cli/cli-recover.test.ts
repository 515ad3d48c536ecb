/**
 * A run whose process died is `interrupted` (docs/runtime.md "Run states") in the CLI's read commands too, not
 * only once `serve` or the app started: list, inspect and export mark it, through the same
 * service method, and `resume` continues it.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliEntry, startedRunId, tmpDir } from './cli-test-kit.js';

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

/** Starts `statepipe run` in a real child process and SIGKILLs it once the delay node started. */
async function runAndKill(graphFile: string, db: string): Promise<string> {
  const child = spawn(process.execPath, [...(await cliEntry()), 'run', graphFile, '--db', db], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the delay never started: ${out} ${err}`)), 20_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (/wait started/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
  return startedRunId(out);
}

describe('a run whose process was SIGKILLed', () => {
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
    expect(events.filter((l) => l.includes('"run.interrupted"'))).toHaveLength(1); // marked once, not per command

    const resumed = await cli(['resume', runId, '--db', db]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/succeeded/);
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
