/** Shared fixtures of the CLI tests (not a test file itself): spawn the real CLI on a temp db. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { build } from 'esbuild';
import { afterAll } from 'vitest';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const EXAMPLES = path.resolve(ROOT, 'examples');
const BIN = path.join(ROOT, 'bin', 'statepipe.js');
const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'statepipe-cli-'));
}

let bundled: Promise<string> | undefined;

// The kit is imported by test files only: remove this file's bundle when its tests are done.
afterAll(async () => {
  if (bundled) fs.rmSync(path.dirname(await bundled), { recursive: true, force: true });
  bundled = undefined;
});

/**
 * The CLI bundled once per test process, exactly as scripts/build-cli.mjs bundles it (the
 * same source, packages external). Starting it takes ~0.2 s instead of ~1.2 s through tsx,
 * which keeps a suite of dozens of processes fast on a small machine. It lives in a temp dir
 * whose node_modules links to the project's.
 */
function bundle(): Promise<string> {
  bundled ??= (async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'statepipe-cli-bundle-'));
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    const outfile = path.join(dir, 'statepipe.mjs');
    await build({
      entryPoints: { statepipe: MAIN },
      outdir: dir,
      outExtension: { '.js': '.mjs' },
      splitting: true, // lazy imports (the web host of `serve`) stay out of every command's start
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'error',
    });
    return outfile;
  })();
  return bundled;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  timeoutMs?: number;
  /** Run `node bin/statepipe.js` (tsx, from source) instead of the bundle. Also STATEPIPE_TEST_BIN=1. */
  bin?: boolean;
}

/** The node arguments that start the CLI: the test bundle, or bin/statepipe.js (tsx). */
export async function cliEntry(bin = false): Promise<string[]> {
  const useBin = bin || process.env['STATEPIPE_TEST_BIN'] === '1';
  return useBin ? (fs.existsSync(BIN) ? [BIN] : ['--import', 'tsx', MAIN]) : [await bundle()];
}

/** Runs `statepipe …args` in a child process; the env has no colour settings and no STATEPIPE_DB. */
export async function cli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env['NO_COLOR'];
  delete env['FORCE_COLOR'];
  delete env['STATEPIPE_DB'];
  Object.assign(env, opts.env ?? {});
  const entry = await cliEntry(opts.bin);
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
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
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
