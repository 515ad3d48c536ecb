/**
 * A reader that goes away (`statepipe run … --jsonl - | head -1`) is not an error of the run:
 * the CLI stops writing to the closed pipe, the run goes on to its end, no stack is printed
 * and the exit code is the run's.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLES, cli, cliEntry, tmpDir } from './cli-test-kit.js';

interface Closed {
  code: number | null;
  firstLine: string;
  stderr: string;
}

/** Runs the CLI with stdout piped and closes the pipe as soon as the first line came (like `| head -1`). */
async function closeAfterFirstLine(args: string[]): Promise<Closed> {
  const entry = await cliEntry();
  const env = { ...process.env };
  delete env['NO_COLOR'];
  delete env['FORCE_COLOR'];
  const child = spawn(process.execPath, [...entry, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let out = '';
  const firstLine = new Promise<string>((resolve) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      child.stdout.destroy(); // the reader is gone: the next write gets EPIPE
      resolve(out.slice(0, nl));
    });
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`statepipe ${args.join(' ')} did not exit: ${stderr}`));
    }, 20_000);
    child.on('close', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  return { code, firstLine: await firstLine, stderr };
}

const INPUT = JSON.stringify({ text: 'Alice leads ProjectX in Berlin' });

describe.concurrent('a closed stdout', () => {
  it('run --jsonl - | head -1: the run still ends succeeded, exit 0, no stack', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'db');
    // The example's mocks stream for ~200 ms, so most events come after the pipe closed.
    const r = await closeAfterFirstLine([
      'run',
      path.join(EXAMPLES, 'document-pipeline.json'),
      '--input',
      INPUT,
      '--jsonl',
      '-',
      '--db',
      db,
    ]);
    const first = JSON.parse(r.firstLine) as { type: string; runId: string };
    expect(first.type).toBe('run.created');
    expect(r.stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse((await cli(['inspect', first.runId, '--json', '--db', db])).stdout) as {
      status: string;
      nodes: { status: string }[];
    };
    expect(d.status).toBe('succeeded');
    expect(d.nodes.every((n) => n.status === 'succeeded')).toBe(true);
  });

  it('batch --jsonl - | head -2: every run ends, exit 0, no stack', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'db');
    const inputs = path.join(dir, 'in.jsonl');
    fs.writeFileSync(inputs, ['Alice', 'Bob', 'Carol'].map((text) => JSON.stringify({ text })).join('\n') + '\n');
    const r = await closeAfterFirstLine([
      'run',
      path.join(EXAMPLES, 'document-pipeline.json'),
      '--inputs',
      inputs,
      '--jsonl',
      '-',
      '--db',
      db,
    ]);
    expect(r.stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(r.stderr).toContain('batch: 3 runs: 3 succeeded, 0 failed, 0 waiting');
    expect(r.code, r.stderr).toBe(0);
    const runs = JSON.parse((await cli(['list', '--json', '--db', db])).stdout) as { status: string }[];
    expect(runs.map((x) => x.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  });

  it('a closed stderr does not stop the run either', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'db');
    const entry = await cliEntry();
    const child = spawn(
      process.execPath,
      [...entry, 'run', path.join(EXAMPLES, 'document-pipeline.json'), '--input', INPUT, '--json', '--db', db],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.once('data', () => child.stderr.destroy()); // progress goes to stderr with --json
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { status: string }).status).toBe('succeeded');
  });
});
