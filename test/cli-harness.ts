/** Spawning the real `statepipe` command in tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../bin/statepipe.js', import.meta.url));
export const EXAMPLES = fileURLToPath(new URL('../examples/', import.meta.url));

export const tempDir = (prefix = 'statepipe-test-'): string => mkdtempSync(join(tmpdir(), prefix));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/**
 * Starts `statepipe … --jsonl -` and SIGKILLs it right after the event for which `killAfter`
 * says yes has been printed (printed means committed: it was acknowledged).
 */
export function cliKilledAt(args: string[], killAfter: (event: { seq: number; type: string; nodeId?: string }, index: number) => boolean): Promise<{ acknowledged: { seq: number; type: string; nodeId?: string }[]; killed: boolean; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [BIN, ...args, '--jsonl', '-'], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const acknowledged: { seq: number; type: string; nodeId?: string }[] = [];
    let buf = '';
    let stderr = '';
    let killed = false;
    child.stderr!.on('data', (d) => (stderr += d));
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.trim() || killed) continue;
        const e = JSON.parse(line) as { seq: number; type: string; nodeId?: string };
        acknowledged.push(e);
        if (killAfter(e, acknowledged.length - 1)) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    });
    child.on('error', reject);
    child.on('close', () => resolve({ acknowledged, killed, stderr }));
  });
}
