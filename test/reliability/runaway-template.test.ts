/**
 * A template that never ends (`($f := function($x){ $f($x + 1) }; $f(1))`) once hung the CLI for
 * good (Ctrl+C ignored, `resume` hung again) and froze `statepipe serve` (API silent, SIGTERM
 * ignored). Now it fails its node with kind `template` at the node's timeoutMs, and the process
 * keeps answering signals and requests while it runs.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliEntry, startedRunId } from '../../src/cli/cli-test-kit.js';
import { cli, tempDir } from '../cli-harness.js';

const dir = tempDir();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const LOOP = '($f := function($x){ $f($x + 1) }; $f(1))';

function spinGraph(timeoutMs: number): Record<string, unknown> {
  return {
    format: 'statepipe.graph',
    version: 1,
    id: 'spin',
    nodes: [
      { id: 'start', type: 'input' },
      { id: 'spin', type: 'transform', timeoutMs, config: { template: `{{${LOOP}}}` } },
      { id: 'result', type: 'output', config: { value: '{{nodes.spin.output}}' } },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'spin' },
      { id: 'e2', source: 'spin', target: 'result' },
    ],
  };
}

function graphFile(name: string, timeoutMs: number): string {
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(spinGraph(timeoutMs)));
  return file;
}

interface Outcome {
  runId: string;
  status: string;
  error?: { kind: string; message: string; nodeId?: string };
}

/** A CLI child with its output collected; `until(re)` resolves once stdout+stderr match. */
async function start(args: string[]): Promise<{
  child: ChildProcessWithoutNullStreams;
  text: () => string;
  until: (re: RegExp) => Promise<void>;
  exit: Promise<number | null>;
}> {
  const child = spawn(process.execPath, [...cliEntry(), ...args], {
    env: { ...process.env, NO_COLOR: '1' },
  });
  let text = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  const feed = (d: string): void => {
    text += d;
    for (const w of waiters.filter((x) => x.re.test(text))) w.resolve();
  };
  child.stdout.setEncoding('utf8').on('data', feed);
  child.stderr.setEncoding('utf8').on('data', feed);
  const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
  const until = (re: RegExp): Promise<void> =>
    re.test(text) ? Promise.resolve() : new Promise((resolve) => waiters.push({ re, resolve }));
  return { child, text: () => text, until, exit };
}

describe('a template that never ends', () => {
  it('fails its node with kind template at timeoutMs: `run` exits 1', async () => {
    const db = path.join(dir, 'run.db');
    const r = await cli(['run', graphFile('run', 1_500), '--db', db, '--json'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(1);
    const o = JSON.parse(r.stdout) as Outcome;
    expect(o.status).toBe('failed');
    expect(o.error).toMatchObject({ kind: 'template', nodeId: 'spin' });
    expect(o.error!.message).toContain('still running after 1500 ms');
  }, 90_000);

  it('Ctrl+C while it runs pauses the run (at once: a second Ctrl+C quits), and resume ends it failed', async () => {
    const db = path.join(dir, 'sigint.db');
    const p = await start(['run', graphFile('sigint', 4_000), '--db', db]);
    await p.until(/\[run\] id=run_\w+ started/);
    await new Promise((r) => setTimeout(r, 300)); // the template is looping now
    p.child.kill('SIGINT');
    await p.until(/pausing: running nodes finish first/); // the handler ran while the template looped
    expect(await p.exit).toBe(3); // paused once the node has failed at its time limit
    const runId = startedRunId(p.text());
    const resumed = await cli(['resume', runId, '--db', db, '--json'], { timeoutMs: 60_000 });
    expect(resumed.code, resumed.stderr).toBe(1);
    expect((JSON.parse(resumed.stdout) as Outcome).error).toMatchObject({ kind: 'template', nodeId: 'spin' });

    const quit = await start(['run', graphFile('sigint2', 60_000), '--db', db]);
    await quit.until(/\[run\] id=run_\w+ started/);
    await new Promise((r) => setTimeout(r, 300));
    quit.child.kill('SIGINT');
    await quit.until(/pausing/);
    quit.child.kill('SIGINT');
    expect(await quit.exit).toBe(130);
  }, 90_000);

  it('a run SIGKILLed during it: resume does not hang, the node fails with kind template', async () => {
    const db = path.join(dir, 'kill.db');
    const p = await start(['run', graphFile('kill', 2_000), '--db', db]);
    await p.until(/\[run\] id=run_\w+ started/);
    p.child.kill('SIGKILL');
    await p.exit;
    const r = await cli(['resume', startedRunId(p.text()), '--db', db, '--json'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(1);
    expect((JSON.parse(r.stdout) as Outcome).error).toMatchObject({ kind: 'template', nodeId: 'spin' });
  }, 90_000);

  it('`serve` keeps answering its API while the template runs, and stops on SIGTERM', async () => {
    const db = path.join(dir, 'serve.db');
    const p = await start(['serve', '--port', '0', '--db', db]);
    await p.until(/studio: http:\/\/127\.0\.0\.1:\d+\/\S+/);
    const studio = new URL(/studio: (\S+)/.exec(p.text())![1]!);
    const token = studio.searchParams.get('token')!;
    const api = (route: string, init: RequestInit = {}): Promise<Response> =>
      fetch(`${studio.origin}/api${route}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
    const started = await api('/runs', {
      method: 'POST',
      body: JSON.stringify({ graph: spinGraph(8_000), input: {} }),
    });
    expect(started.status, await started.clone().text()).toBeLessThan(300);
    const { runId } = (await started.json()) as { runId: string };
    // The run is created queued; its start commits a moment later.
    const status = async () => ((await (await api(`/runs/${runId}`)).json()) as { status: string }).status;
    for (let i = 0; i < 50 && (await status()) === 'queued'; i++) await new Promise((r) => setTimeout(r, 50));
    // Every answer comes while the spin node is still evaluating its template (it has 8 s).
    for (let i = 0; i < 5; i++) {
      const res = await api(`/runs/${runId}`);
      expect(res.status).toBe(200);
      const run = (await res.json()) as { status: string };
      expect(run.status).toBe('running');
      await new Promise((r) => setTimeout(r, 100));
    }
    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
  }, 90_000);
});
