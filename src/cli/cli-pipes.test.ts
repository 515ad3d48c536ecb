/**
 * A slow reader gets every byte of an output command (`export RUN | slow reader`), and the exit
 * is 0 only when it did; a reader that leaves early makes such a command exit 1 with one line.
 *
 * A reader that goes away (`statepipe run … --jsonl - | head -1`) is not an error of the run:
 * the CLI stops writing to the closed pipe, the run goes on to its end, no stack is printed
 * and the exit code is the run's.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
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

/** A child process that reads its stdin 64 kB at a time with a pause after each read (or stops after `stopAfter` bytes). */
const SLOW_READER = `
const crypto = require('node:crypto');
const h = crypto.createHash('sha256');
let n = 0;
const stopAfter = Number(process.argv[1] || 0);
process.stdin.on('readable', function read() {
  const chunk = process.stdin.read(65536) ?? process.stdin.read();
  if (chunk === null) return;
  n += chunk.length; h.update(chunk);
  if (stopAfter && n >= stopAfter) { process.stdout.write(JSON.stringify({ bytes: n })); process.exit(0); }
  process.stdin.off('readable', read);
  setTimeout(() => { process.stdin.on('readable', read); read(); }, 10);
});
process.stdin.on('end', () => process.stdout.write(JSON.stringify({ bytes: n, sha: h.digest('hex') })));
`;

interface Piped {
  code: number | null;
  stderr: string;
  read: { bytes: number; sha?: string };
}

/** `statepipe …args | slow reader`: the CLI's stdout is the reader's stdin (a real pipe between two processes). */
async function pipeToSlowReader(args: string[], stopAfter = 0): Promise<Piped> {
  const reader = spawn(process.execPath, ['-e', SLOW_READER, String(stopAfter)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let read = '';
  reader.stdout.setEncoding('utf8').on('data', (d: string) => (read += d));
  const entry = await cliEntry();
  const child = spawn(process.execPath, [...entry, ...args], { stdio: ['ignore', reader.stdin, 'pipe'] });
  reader.stdin.destroy(); // the CLI holds the pipe's write end now: EOF comes when it exits
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const [code] = await Promise.all([
    new Promise<number | null>((resolve) => child.on('close', resolve)),
    new Promise<void>((resolve) => reader.on('close', () => resolve())),
  ]);
  return { code, stderr, read: JSON.parse(read) as Piped['read'] };
}

describe('output commands on a slow pipe', () => {
  const dir = tmpDir();
  const db = path.join(dir, 'db');
  let runId = '';
  const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

  it('export RUN | slow reader: every byte of an 11 MB history, exit 0', async () => {
    const graph = path.join(dir, 'big.json');
    fs.writeFileSync(
      graph,
      JSON.stringify({
        format: 'statepipe.graph',
        version: 1,
        id: 'big',
        nodes: [
          { id: 'start', type: 'input' },
          { id: 'result', type: 'output', config: { value: '{{input}}' } },
        ],
        edges: [{ id: 'e1', source: 'start', target: 'result' }],
      }),
    );
    // The input is in run.created, the input node's output, the output node's and the run's result.
    const input = path.join(dir, 'in.json');
    fs.writeFileSync(
      input,
      JSON.stringify({ items: Array.from({ length: 2800 }, (_, i) => `${i}`.padEnd(1000, 'x')) }),
    );
    const run = await cli(['run', graph, '--input', `@${input}`, '--db', db, '--json'], { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    runId = (JSON.parse(run.stdout) as { runId: string }).runId;
    const file = path.join(dir, 'export.jsonl');
    expect((await cli(['export', runId, '--db', db, '--out', file])).code).toBe(0);
    const whole = fs.readFileSync(file, 'utf8');
    expect(whole.length).toBeGreaterThan(11_000_000);

    const r = await pipeToSlowReader(['export', runId, '--db', db]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.read.bytes).toBe(Buffer.byteLength(whole));
    expect(r.read.sha).toBe(sha(whole));
  }, 90_000);

  it('inspect --json | slow reader: the whole document, exit 0', async () => {
    const whole = (await cli(['inspect', runId, '--json', '--db', db])).stdout;
    expect(whole.length).toBeGreaterThan(5_000_000);
    const r = await pipeToSlowReader(['inspect', runId, '--json', '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.read.sha).toBe(sha(whole));
  }, 60_000);

  it('export RUN | a reader that leaves after 64 kB: exit 1, one line on stderr', async () => {
    const r = await pipeToSlowReader(['export', runId, '--db', db], 65_536);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('statepipe: cannot write to stdout (the reader closed the pipe): the output is incomplete\n');
  }, 60_000);
});
