/** Runs one case in a fresh Node process (tsx loader, --expose-gc) and reads its JSON result. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CaseResult, CaseSpec } from './cases.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'child.ts');

export interface SpawnOptions {
  /** Kill the child after this long (ms). */
  timeoutMs: number;
  /** Write a V8 CPU profile of the child into this folder. */
  profileDir?: string;
}

export type Outcome<R> = { ok: true; result: R; ms: number } | { ok: false; error: string; ms: number };

let seq = 0;

export function runChild<R extends CaseResult>(spec: CaseSpec, opts: SpawnOptions): Promise<Outcome<R>> {
  const out = path.join(spec.dir, `result-${process.pid}-${seq++}.json`);
  const args = ['--expose-gc', '--import', 'tsx'];
  if (opts.profileDir) args.push('--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`);
  args.push(CHILD, JSON.stringify(spec), out);
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = performance.now() - t0;
      if (code === 0 && fs.existsSync(out)) {
        const result = JSON.parse(fs.readFileSync(out, 'utf8')) as R;
        fs.rmSync(out, { force: true });
        resolve({ ok: true, result, ms });
        return;
      }
      const why =
        signal === 'SIGKILL' ? `killed after ${Math.round(opts.timeoutMs / 1000)} s` : `exit ${code ?? signal}`;
      const last = stderr.trim().split('\n').filter(Boolean).slice(-3).join(' | ');
      resolve({ ok: false, error: `${why}${last ? `: ${last}` : ''}`, ms });
    });
  });
}
