import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../core/errors.js';
import { ev } from '../../core/events.js';
import { openDatabase } from './open.js';
import type { SqliteStore } from './sqlite-store.js';
import { newRun, rid, tmpDir } from './test-helpers.js';

let file: string;
let store: SqliteStore;
beforeEach(() => {
  file = path.join(tmpDir(), 'sp.db');
  store = openDatabase(file);
});
afterEach(() => store.close());

/** A real process, then its pid once SIGKILL has ended it (and node has reaped it). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(()=>{},1e6)'], { stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const pid = child.pid!;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
  return pid;
}

describe('leases', () => {
  it('refuses a live owner, accepts the same owner, release frees it', () => {
    store.createRun(newRun('run_l'));
    const a = { id: 'proc-a', pid: process.pid };
    const b = { id: 'proc-b', pid: process.pid };
    expect(store.acquireLease(rid('run_l'), a)).toBe(true);
    expect(store.acquireLease(rid('run_l'), a)).toBe(true);
    expect(store.acquireLease(rid('run_l'), b)).toBe(false);
    store.renewLease(rid('run_l'), a);
    expect(() => store.renewLease(rid('run_l'), b)).toThrow(AppError);
    store.releaseLease(rid('run_l'), b); // not the owner: no effect
    expect(store.getRunRow('run_l')!.ownerId).toBe('proc-a');
    store.releaseLease(rid('run_l'), a);
    expect(store.getRunRow('run_l')!.ownerId).toBeNull();
    expect(store.acquireLease(rid('run_l'), b)).toBe(true);
    expect(() => store.acquireLease(rid('run_missing'), a)).toThrow(/not found/);
  });

  it('takes over an expired lease', () => {
    const short = openDatabase(file, { leaseMs: -1 });
    try {
      short.createRun(newRun('run_exp'));
      expect(short.acquireLease(rid('run_exp'), { id: 'old', pid: process.pid })).toBe(true);
      expect(store.acquireLease(rid('run_exp'), { id: 'new', pid: process.pid })).toBe(true);
      expect(store.getRunRow('run_exp')!.ownerId).toBe('new');
    } finally {
      short.close();
    }
  });

  it('takes over from a SIGKILLed owner process, and lists the run for recovery', async () => {
    store.createRun(newRun('run_dead'));
    store.createRun(newRun('run_live'));
    store.append(rid('run_dead'), [ev('run.started', {})]);
    store.append(rid('run_live'), [ev('run.started', {})]);
    const pid = await deadPid();
    expect(store.acquireLease(rid('run_dead'), { id: 'crashed', pid })).toBe(true);
    expect(store.acquireLease(rid('run_live'), { id: 'alive', pid: process.pid })).toBe(true);

    expect(store.findRunsToRecover().map((r) => r.runId)).toEqual(['run_dead']);
    expect(store.acquireLease(rid('run_live'), { id: 'other', pid: process.pid })).toBe(false);
    expect(store.acquireLease(rid('run_dead'), { id: 'rescuer', pid: process.pid })).toBe(true);
    expect(store.getRunRow('run_dead')).toMatchObject({ ownerId: 'rescuer', ownerPid: process.pid });
    expect(store.findRunsToRecover()).toEqual([]);
  });

  it('a running run with no owner is recoverable', () => {
    store.createRun(newRun('run_orphan'));
    store.createRun(newRun('run_queued'));
    store.append(rid('run_orphan'), [ev('run.started', {})]);
    expect(store.findRunsToRecover().map((r) => r.runId)).toEqual(['run_orphan']);
  });
});
