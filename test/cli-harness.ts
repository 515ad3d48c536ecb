/** Spawning the real `statepipe` command in tests and killing it at a chosen event. */
import { spawn, type ChildProcess } from 'node:child_process';
import { cliEntry } from '../src/cli/cli-test-kit.js';

export { cli, tmpDir as tempDir } from '../src/cli/cli-test-kit.js';

export type AckedEvent = { seq: number; type: string; nodeId?: string; runId?: string };

/**
 * Starts `statepipe … --jsonl -` and SIGKILLs it right after the event for which `killAfter`
 * says yes has been printed (printed means committed: it was acknowledged).
 */
export async function cliKilledAt(
  args: string[],
  killAfter: (event: AckedEvent, index: number) => boolean,
): Promise<{ acknowledged: AckedEvent[]; killed: boolean; stderr: string }> {
  const entry = await cliEntry();
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [...entry, ...args, '--jsonl', '-'], {
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acknowledged: AckedEvent[] = [];
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
        const e = JSON.parse(line) as AckedEvent;
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
