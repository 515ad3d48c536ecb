/** Shared fixtures of the CLI tests (not a test file itself): spawn the real CLI on a temp db. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const EXAMPLES = path.resolve(ROOT, 'examples');
const BIN = path.join(ROOT, 'bin', 'statepipe.js');

export interface CliResult {
  code: number | null;
  /** The signal that ended it (`SIGKILL` from a chaos kill point), else null. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'statepipe-cli-'));
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  timeoutMs?: number;
  /** Run the CLI from its TypeScript source through tsx (the bin's fallback) instead of the bundle. */
  source?: boolean;
}

/**
 * The node arguments that start the CLI: bin/statepipe.js, as a user runs it. It starts the
 * prebuilt bundle (out/cli, brought up to date by the tests' global setup); `source` (or
 * STATEPIPE_CLI_SOURCE=1 for every test) runs it from source through tsx instead.
 */
export function cliEntry(): string[] {
  return [BIN];
}

/**
 * The home the commands run with: a folder of this test process's own, so the default database
 * (~/.statepipe/statepipe.db) is never the person's, nor one another test run left behind.
 */
let home: string | undefined;
const testHome = (): string => (home ??= fs.mkdtempSync(path.join(os.tmpdir(), 'statepipe-home-')));

/** Runs `statepipe …args` in a child process; the env has no colour settings, no STATEPIPE_DB and a home of its own. */
export async function cli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env['NO_COLOR'];
  delete env['FORCE_COLOR'];
  delete env['STATEPIPE_DB'];
  env['HOME'] = testHome();
  if (opts.source) env['STATEPIPE_CLI_SOURCE'] = '1';
  Object.assign(env, opts.env ?? {});
  const entry = cliEntry();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...entry, ...args], {
      cwd: opts.cwd ?? ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `statepipe ${args.join(' ')} did not exit within ${opts.timeoutMs ?? 20_000} ms\n${stdout}\n${stderr}`,
        ),
      );
    }, opts.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Copies an example graph into `dir` with every mock streaming instantly (tokensPerSecond 0). */
export function fastGraph(name: string, dir: string, edit?: (g: Record<string, unknown>) => void): string {
  const g = JSON.parse(fs.readFileSync(path.join(EXAMPLES, `${name}.json`), 'utf8')) as Record<string, unknown> & {
    nodes: { config?: { mock?: { tokensPerSecond?: number } } }[];
  };
  for (const n of g.nodes) if (n.config?.mock) n.config.mock.tokensPerSecond = 0;
  edit?.(g);
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(g, null, 2));
  return file;
}

/** How many runs the database holds (0 when the file does not exist). */
export function runCount(dbFile: string): number {
  if (!fs.existsSync(dbFile)) return 0;
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return Number(db.prepare('SELECT count(*) FROM runs').pluck().get());
  } finally {
    db.close();
  }
}

/** The run id of the `[run] id=… started` line. */
export function startedRunId(text: string): string {
  const m = /\[run\] id=(run_\w+) started/.exec(text);
  if (!m) throw new Error(`no "[run] id=… started" line in:\n${text}`);
  return m[1]!;
}

/** Lines of stderr that are not empty. */
export const errLines = (r: CliResult): string[] => r.stderr.split('\n').filter((l) => l.trim() !== '');

/**
 * Starts `statepipe run` in a real child process and SIGKILLs it once `started` was printed (the
 * delay node's start) and `settleMs` more passed; returns the run's id.
 */
export async function runAndKill(
  graphFile: string,
  db: string,
  started = /wait started/,
  settleMs = 0,
): Promise<string> {
  const child = spawn(process.execPath, [...cliEntry(), 'run', graphFile, '--db', db], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the delay never started: ${out} ${err}`)), 20_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (started.test(out)) {
        clearTimeout(timer);
        setTimeout(resolve, settleMs);
      }
    });
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
  return startedRunId(out);
}
