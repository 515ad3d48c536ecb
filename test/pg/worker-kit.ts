/** `statepipe worker` processes for the PostgreSQL tests: started, watched through their output, killed. */
import { spawn, type ChildProcess } from 'node:child_process';
import { cliEntry } from '../../src/cli/cli-test-kit.js';

export interface Worker {
  child: ChildProcess;
  out: string[];
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A worker on `db` named `name` (concurrency 8 unless `extra` says otherwise). */
export function startWorker(db: string, name: string, cwd: string, ...extra: string[]): Promise<Worker> {
  return startWorkerWith({}, db, name, cwd, ...extra);
}

/** The same, with variables added to its environment. */
export async function startWorkerWith(
  env: Record<string, string>,
  db: string,
  name: string,
  cwd: string,
  ...extra: string[]
): Promise<Worker> {
  const entry = await cliEntry();
  const args = ['worker', '--db', db, '--name', name, '--concurrency', '8', ...extra];
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const w: Worker = { child, out: [] };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => w.out.push(...d.split('\n').filter(Boolean)));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => w.out.push(...d.split('\n').filter(Boolean)));
  return w;
}

/** Kills (continuing first: a stopped process would not die) every worker still alive. */
export function killAll(workers: readonly Worker[]): void {
  for (const w of workers) {
    if (w.child.exitCode === null && w.child.signalCode === null) {
      w.child.kill('SIGCONT');
      w.child.kill('SIGKILL');
    }
  }
}

export const claimedBy = (w: Worker): number => w.out.filter((l) => l.includes(' claimed ')).length;

export const exited = (w: Worker): Promise<number | null> =>
  new Promise((r) => (w.child.exitCode !== null ? r(w.child.exitCode) : w.child.once('exit', (c) => r(c))));

export async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!(await ok())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out: ${what}`);
    await sleep(100);
  }
}

/** start → a delay of `ms` → out (`value`): a run that is still running while a test acts on it. */
export const slowGraph = (ms: number, value = 'done') => ({
  format: 'statepipe.graph',
  version: 1,
  id: 'slow',
  nodes: [
    { id: 'start', type: 'input' },
    { id: 'wait', type: 'delay', config: { ms } },
    { id: 'out', type: 'output', config: { value } },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'wait' },
    { id: 'e2', source: 'wait', target: 'out' },
  ],
});
