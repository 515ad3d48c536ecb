/**
 * A hostile environment for the database: locked by another process, read-only, on a full
 * disk, corrupted, from a newer statepipe. Each time the CLI gives one clear line on stderr
 * and exit 4, starts no run (nothing partial), and leaves the data already there intact.
 *
 * Tests run as root, for whom file modes mean nothing: read-only is made with `chattr +i`
 * (the immutable flag stops root too) and with a tmpfs remounted read-only; the full disk is a
 * 1 MiB tmpfs. Where the machine cannot do that (no mount/chattr), the case is skipped with the
 * reason printed.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../src/host/store/index.js';
import { cli, tempDir } from '../cli-harness.js';
import { cliEntry, errLines, startedRunId, type CliResult } from '../../src/cli/cli-test-kit.js';

const dir = tempDir();
const graphFile = path.join(dir, 'tiny.json');
const INPUT = '{"name":"Ada"}';
const mounts: string[] = [];
const immutable: string[] = [];

const sha = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const tryRun = (cmd: string, args: string[]): string | undefined => {
  try {
    execFileSync(cmd, args, { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    return `${cmd} ${args.join(' ')}: ${((err as { stderr?: Buffer }).stderr?.toString() || (err as Error).message).trim()}`;
  }
};

/** A database with one finished run, checkpointed (no -wal left), ready to be abused. */
async function seededDb(file: string): Promise<void> {
  const r = await cli(['run', graphFile, '--db', file, '--input', INPUT]);
  expect(r.code, r.stderr).toBe(0);
  const db = new Database(file);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

function runCount(file: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return Number(db.prepare('SELECT count(*) FROM runs').pluck().get());
  } finally {
    db.close();
  }
}

/** The promise of this file: exit 4, one line on stderr naming the file, no stack. */
function refusedWithOneLine(r: CliResult, db: string, pattern: RegExp): void {
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(4);
  const lines = errLines(r);
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^statepipe: /);
  expect(lines[0]).toContain(db);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  if (process.env['STATEPIPE_SHOW_ERRORS']) console.log(lines[0]);
}

beforeAll(() => {
  fs.writeFileSync(
    graphFile,
    JSON.stringify({
      format: 'statepipe.graph',
      version: 1,
      id: 'tiny',
      input: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
      nodes: [
        { id: 'start', type: 'input' },
        { id: 'hello', type: 'transform', config: { template: 'Hello {{input.name}}' } },
        { id: 'result', type: 'output', config: { value: '{{nodes.hello.output}}' } },
      ],
      edges: [
        { id: 'e1', source: 'start', target: 'hello' },
        { id: 'e2', source: 'hello', target: 'result' },
      ],
    }),
  );
});

afterAll(() => {
  for (const f of immutable) tryRun('chattr', ['-i', f]);
  for (const m of mounts.reverse()) tryRun('umount', ['-l', m]);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Mounts a tmpfs of `size` at a new folder, or returns why it cannot. */
function tmpfs(name: string, size: string): { dir: string } | { skip: string } {
  const at = path.join(dir, name);
  fs.mkdirSync(at);
  const why = tryRun('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', at]);
  if (why) return { skip: why };
  mounts.push(at);
  return { dir: at };
}

function skip(reason: string): void {
  console.log(`SKIPPED (cannot set up on this machine): ${reason}`);
}

/** Fills what is left of the file system at `at` (a tmpfs). */
function fillDisk(at: string): void {
  const filler = fs.openSync(path.join(at, 'filler'), 'w');
  try {
    const block = Buffer.alloc(4096, 1);
    for (;;) fs.writeSync(filler, block);
  } catch (err) {
    expect((err as { code?: string }).code).toBe('ENOSPC');
  } finally {
    fs.closeSync(filler);
  }
}

/** A run whose process was SIGKILLed during a delay: `running` in the store, its owner dead. */
async function killedMidRun(db: string): Promise<string> {
  const file = path.join(dir, 'slow.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      format: 'statepipe.graph',
      version: 1,
      id: 'slow',
      nodes: [
        { id: 'start', type: 'input' },
        { id: 'wait', type: 'delay', config: { ms: 60_000 } },
      ],
      edges: [{ id: 'e1', source: 'start', target: 'wait' }],
    }),
  );
  const child = spawn(process.execPath, [...(await cliEntry()), 'run', file, '--db', db], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let out = '';
  await new Promise<void>((resolve) =>
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('wait started')) resolve();
    }),
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  return startedRunId(out);
}

describe('a hostile environment', () => {
  it('a database another process holds locked past the busy timeout: exit 4, nothing written', async () => {
    const db = path.join(dir, 'locked.db');
    await seededDb(db);
    const before = sha(db);
    // A child takes the file for itself (exclusive locking mode + a write transaction) and holds it.
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const D=require('better-sqlite3');const d=new D(${JSON.stringify(db)});d.pragma('locking_mode=EXCLUSIVE');d.exec('BEGIN EXCLUSIVE');d.exec("UPDATE runs SET status=status");console.log('locked');setTimeout(()=>{d.exec('ROLLBACK');d.close();},20000);`,
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((res, rej) => {
        holder.stdout!.once('data', () => res());
        holder.once('exit', (c) => rej(new Error(`the lock holder exited ${c}`)));
      });
      const started = Date.now();
      const r = await cli(['run', graphFile, '--db', db, '--input', INPUT], { timeoutMs: 60_000 });
      refusedWithOneLine(r, db, /locked by another process/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(4000); // it waited the busy timeout first
    } finally {
      holder.kill('SIGKILL');
      await new Promise((res) => holder.once('close', res));
    }
    expect(runCount(db)).toBe(1);
    expect(sha(db)).toBe(before);
  }, 60_000);

  it('read-only through the immutable flag (stops root too): exit 4, the file untouched', async () => {
    const db = path.join(dir, 'immutable.db');
    await seededDb(db);
    const before = sha(db);
    const why = tryRun('chattr', ['+i', db]);
    if (why) return skip(why);
    immutable.push(db);
    try {
      const r = await cli(['run', graphFile, '--db', db, '--input', INPUT]);
      refusedWithOneLine(r, db, /read-only/);
    } finally {
      tryRun('chattr', ['-i', db]);
    }
    expect(sha(db)).toBe(before);
    expect(runCount(db)).toBe(1);
  });

  it('read-only file system (a tmpfs remounted ro): exit 4, the file untouched', async () => {
    const m = tmpfs('ro', '4m');
    if ('skip' in m) return skip(m.skip);
    const db = path.join(m.dir, 'ro.db');
    await seededDb(db);
    const before = sha(db);
    const why = tryRun('mount', ['-o', 'remount,ro', m.dir]);
    if (why) return skip(why);
    const r = await cli(['run', graphFile, '--db', db, '--input', INPUT]);
    refusedWithOneLine(r, db, /read-only/);
    expect(sha(db)).toBe(before);
    expect(tryRun('mount', ['-o', 'remount,rw', m.dir])).toBeUndefined(); // SQLite cannot even read a WAL file on a ro fs without its -shm
    expect(runCount(db)).toBe(1);
  });

  it('a full disk (1 MiB tmpfs, filled): exit 4, no partial run, the data intact', async () => {
    const m = tmpfs('full', '1m');
    if ('skip' in m) return skip(m.skip);
    const db = path.join(m.dir, 'full.db');
    await seededDb(db);
    fillDisk(m.dir); // then try to start a run
    const r = await cli(['run', graphFile, '--db', db, '--input', INPUT]);
    refusedWithOneLine(r, db, /disk full/i);
    fs.rmSync(path.join(m.dir, 'filler'));
    expect(runCount(db)).toBe(1);
    const conn = new Database(db, { readonly: true });
    expect(conn.pragma('integrity_check', { simple: true })).toBe('ok');
    conn.close();
    // With room again, the same file works.
    const again = await cli(['run', graphFile, '--db', db, '--input', INPUT]);
    expect(again.code, again.stderr).toBe(0);
  });

  it('a full disk: list, inspect, export and export-graph still answer, write nothing, and show a dead run interrupted', async () => {
    const m = tmpfs('full-read', '1m');
    if ('skip' in m) return skip(m.skip);
    const db = path.join(m.dir, 'full.db');
    await seededDb(db);
    const dead = await killedMidRun(db);
    const ckpt = new Database(db);
    ckpt.pragma('wal_checkpoint(TRUNCATE)');
    ckpt.close();
    fillDisk(m.dir);
    const before = sha(db);
    const list = await cli(['list', '--json', '--db', db]);
    expect(list.code, list.stderr).toBe(0);
    const runs = JSON.parse(list.stdout) as { runId: string; status: string }[];
    expect(runs.map((r) => r.status)).toEqual(['interrupted', 'succeeded']); // computed, not written
    expect(runs[0]!.runId).toBe(dead);
    const only = await cli(['list', '--status', 'interrupted', '--json', '--db', db]);
    expect((JSON.parse(only.stdout) as { runId: string }[]).map((r) => r.runId)).toEqual([dead]);
    const inspect = await cli(['inspect', dead, '--json', '--db', db]);
    expect(inspect.code, inspect.stderr).toBe(0);
    expect((JSON.parse(inspect.stdout) as { status: string }).status).toBe('interrupted');
    const exported = await cli(['export', dead, '--db', db]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toContain('"type":"node.started","nodeId":"wait"');
    expect(exported.stdout).not.toContain('run.interrupted'); // the history as recorded
    const graph = await cli(['export-graph', dead, '--db', db]);
    expect(graph.code, graph.stderr).toBe(0);
    expect(JSON.parse(graph.stdout)).toMatchObject({ id: 'slow' });
    expect(sha(db)).toBe(before);
    // A command that writes still says the disk is full.
    refusedWithOneLine(await cli(['resume', dead, '--db', db]), db, /disk full/i);
    expect(sha(db)).toBe(before);
  }, 60_000);

  it('a corrupted database (garbage over its schema page, then over its data pages): exit 4, the file untouched', async () => {
    for (const where of ['schema', 'data'] as const) {
      const db = path.join(dir, `corrupt-${where}.db`);
      await seededDb(db);
      const size = fs.statSync(db).size;
      const page = Number(new Database(db, { readonly: true }).pragma('page_size', { simple: true }));
      const fd = fs.openSync(db, 'r+');
      // The schema page: everything after the 100-byte header of page 1. Data: pages 2 and up.
      if (where === 'schema') fs.writeSync(fd, Buffer.alloc(page - 100, 0xa5), 0, page - 100, 100);
      else for (let off = page; off < size; off += page) fs.writeSync(fd, Buffer.alloc(page, 0x5a), 0, page, off);
      fs.closeSync(fd);
      const before = sha(db);
      for (const args of [['run', graphFile, '--input', INPUT], ['list']]) {
        const r = await cli([...args, '--db', db]);
        refusedWithOneLine(r, db, /corrupt|not a database|malformed/i);
      }
      expect(sha(db), where).toBe(before);
      expect(
        fs.existsSync(`${db}-wal`) ? fs.statSync(`${db}-wal`).size : 0,
        `${where}: nothing written to the WAL`,
      ).toBe(0);
    }
  });

  it('a database of a newer statepipe: exit 4 naming both schema versions, the file untouched', async () => {
    const db = path.join(dir, 'newer.db');
    await seededDb(db);
    const conn = new Database(db);
    conn.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    conn.pragma('wal_checkpoint(TRUNCATE)');
    conn.close();
    const before = sha(db);
    for (const args of [['run', graphFile, '--input', INPUT], ['list'], ['resume', 'run_01ABCDEFGHJKMNPQRSTVWXYZ01']]) {
      const r = await cli([...args, '--db', db]);
      refusedWithOneLine(r, db, new RegExp(`newer statepipe \\(schema ${SCHEMA_VERSION + 1} > ${SCHEMA_VERSION}\\)`));
    }
    expect(sha(db)).toBe(before);
  });
});
