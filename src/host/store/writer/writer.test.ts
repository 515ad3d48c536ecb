/**
 * The store's writer thread: the engine's writes commit on it (not on the calling thread), keep
 * their errors' classes, are on disk when answered (a SIGKILL loses none of them), and fall back
 * to the calling thread when the thread cannot start or stops.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError, KeyTakenError } from '../../../core/errors.js';
import { openDatabase } from '../open.js';
import type { SqliteStore } from '../sqlite-store.js';
import { logEvents, newRun, rid, tmpDir } from '../test-helpers.js';
import { StoreWriter, writerEntry } from './writer-client.js';

const opened: SqliteStore[] = [];
const open = (file: string, writerThread = true): SqliteStore => {
  const s = openDatabase(file, { writerThread });
  opened.push(s);
  return s;
};
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

const countEvents = (file: string, runId: string): number => {
  const db = new Database(file, { readonly: true });
  try {
    return Number(db.prepare('SELECT count(*) FROM events WHERE run_id = ?').pluck().get(runId));
  } finally {
    db.close();
  }
};

describe('the writer thread', () => {
  it('commits while the calling thread is blocked: the write is not made on it', async () => {
    const file = path.join(tmpDir(), 'w.db');
    const store = open(file);
    await store.createRun(newRun('run_a')); // the thread is up
    const lease = (await store.acquireLease(rid('run_a'), { id: 'me' }))!;
    const before = countEvents(file, 'run_a');
    const appended = store.append(rid('run_a'), logEvents(3), { epoch: lease.epoch, afterSeq: before });
    // This thread does nothing for 500 ms (no turn of its event loop): only another thread can commit.
    const deadline = Date.now() + 5_000;
    let seen = before;
    while (seen === before && Date.now() < deadline) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      seen = countEvents(file, 'run_a');
    }
    expect(seen).toBe(before + 3);
    expect((await appended).map((e) => e.type)).toEqual(['node.log', 'node.log', 'node.log']);
  });

  it('its errors reach the caller as the same classes: a fenced append, a key already taken', async () => {
    const file = path.join(tmpDir(), 'w.db');
    const store = open(file);
    await store.createRun(newRun('run_f'));
    const old = (await store.acquireLease(rid('run_f'), { id: 'one' }))!;
    await store.acquireLease(rid('run_f'), { id: 'two' }).catch(() => undefined);
    await store.releaseLease(rid('run_f'), old);
    const taken = (await store.acquireLease(rid('run_f'), { id: 'two' }))!;
    expect(taken.epoch).toBeGreaterThan(old.epoch);
    const fenced = await store.append(rid('run_f'), logEvents(1), { epoch: old.epoch, afterSeq: 2 }).catch((e) => e);
    expect(fenced).toBeInstanceOf(AppError);
    expect((fenced as AppError).code).toBe('fenced');

    const keyed = { ...newRun('run_k1'), idempotencyKey: { key: 'order-7' } };
    await store.createRun(keyed);
    const again = await store.createRun({ ...newRun('run_k2'), idempotencyKey: { key: 'order-7' } }).catch((e) => e);
    expect(again).toBeInstanceOf(KeyTakenError);
    expect((again as KeyTakenError).runId).toBe('run_k1');
  });

  it('what it answered is on disk: a process killed with SIGKILL mid-stream loses no answered append', async () => {
    const file = path.join(tmpDir(), 'w.db');
    openDatabase(file).close();
    const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), 'ack-writer.fixture.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, file, 'run_kill'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let acked = 0;
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        for (const m of d.matchAll(/acked (\d+)/g)) acked = Math.max(acked, Number(m[1]));
        if (acked >= 300) resolve();
      });
      child.once('exit', () => reject(new Error(`the fixture ended early: ${err}`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const store = open(file, false);
    const seqs = (await store.loadRun(rid('run_kill'))).events.map((e) => e.seq);
    expect(seqs.length).toBeGreaterThanOrEqual(acked);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
  });

  it('that cannot start (the database will not open there): the writes run on the calling thread', async () => {
    const file = path.join(tmpDir(), 'w.db');
    const store = open(file, false);
    const writer = new StoreWriter(file, { nativeBinding: '/nowhere/better_sqlite3.node' }, (w) => store.writeHere(w));
    store.useWriter(writer);
    const events = await store.createRun(newRun('run_local'));
    expect(events.map((e) => e.type)).toEqual(['run.created']);
    await store.close(); // waits for the thread's failed start
    opened.splice(opened.indexOf(store), 1);
    expect(writer.gone).toMatch(/^could not open the database: /);
  });

  it('that stops: what it had not answered fails, naming the file; later writes run on the calling thread', async () => {
    const file = path.join(tmpDir(), 'w.db');
    const store = open(file, false);
    await store.createRun(newRun('run_s'));
    // A thread that comes up, then dies at the first write it is given.
    const dies = `const { parentPort } = require('node:worker_threads');
      parentPort.postMessage({ ready: true });
      parentPort.on('message', (m) => { if (m !== 'close') process.exit(3); });`;
    const writer = new StoreWriter(file, {}, (w) => store.writeHere(w), { boot: dies });
    store.useWriter(writer);
    const lease = (await store.acquireLease(rid('run_s'), { id: 'me' }).catch((e: unknown) => e)) as Error;
    expect(lease).toBeInstanceOf(AppError);
    expect(lease.message).toBe(
      `${file}: the store's writer thread exited (code 3); a write it had not answered may or may not have been committed`,
    );
    expect(writer.gone).toBe('exited (code 3)');
    const after = await store.createRun(newRun('run_after'));
    expect(after.map((e) => e.type)).toEqual(['run.created']);
    expect(countEvents(file, 'run_after')).toBe(1);
  });

  it('is found beside the source it is run from here (tsx)', () => {
    const entry = writerEntry();
    expect(entry && 'boot' in entry ? entry.boot : '').toMatch(/writer-thread\.ts/);
  });
});
