/** `statepipe serve` as a real child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { cliEntry } from '../src/cli/cli-test-kit.js';

export interface ServeChild {
  child: ChildProcess;
  port: number;
  token: string;
  stderr(): string;
  /** SIGTERM, then SIGKILL after 5 s; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** `args`: more flags for `serve`. */
export async function startServeChild(dbFile: string, args: string[] = []): Promise<ServeChild> {
  const entry = cliEntry(); // bin/statepipe.js, as a user starts it
  const child = spawn(process.execPath, [...entry, 'serve', '--port', '0', '--db', dbFile, ...args], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const m = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no URL: ${stdout} ${stderr}`)), 20_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      const found = /^studio: http:\/\/127\.0\.0\.1:(\d+)\/\?token=(\S+)$/m.exec(stdout);
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  return {
    child,
    port: Number(m[1]),
    token: m[2]!,
    stderr: () => stderr,
    stop() {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
      return new Promise((resolve) => {
        const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', (code) => {
          clearTimeout(kill);
          resolve(code);
        });
        child.kill('SIGTERM');
      });
    },
  };
}
