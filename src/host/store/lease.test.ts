import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ev } from '../../core/events.js';
import type { Lease } from '../../core/ports.js';
import { openDatabase } from './open.js';
import type { SqliteStore } from './sqlite-store.js';
import { newRun, rid, tmpDir } from './test-helpers.js';

let file: string;
let store: SqliteStore;
beforeEach(() => {
  file = path.join(tmpDir(), 'sp.db');
  store = openDatabase(file);
});
afterEach(async () => {
  await store.close();
});

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

/** The run started by the lease holder (its first append, after run.created). */
async function started(runId: string, lease: Lease): Promise<void> {
  await store.append(rid(runId), [ev('run.started', {})], { epoch: lease.epoch, afterSeq: 1 });
}

describe('leases (SQLite: owner pid and host)', () => {
  it('records the owner, and takes over an expired lease', async () => {
    await store.createRun(newRun('run_exp'));
    const short = openDatabase(file, { leaseMs: -1 });
    try {
      expect(await short.acquireLease(rid('run_exp'), { id: 'old', pid: process.pid })).toBeDefined();
      expect((await store.getRunRow('run_exp'))!.ownerId).toBe('old');
      expect(await store.acquireLease(rid('run_exp'), { id: 'new', pid: process.pid })).toBeDefined();
      expect((await store.getRunRow('run_exp'))!.ownerId).toBe('new');
    } finally {
      await short.close();
    }
  });

  it('takes over from a SIGKILLed owner process, and lists the run for recovery', async () => {
    await store.createRun(newRun('run_dead'));
    await store.createRun(newRun('run_live'));
    const pid = await deadPid();
    const dead = (await store.acquireLease(rid('run_dead'), { id: 'crashed', pid }))!;
    const live = (await store.acquireLease(rid('run_live'), { id: 'alive', pid: process.pid }))!;
    await started('run_dead', dead);
    await started('run_live', live);

    expect((await store.findRunsToRecover()).map((r) => r.runId)).toEqual(['run_dead']);
    expect(await store.acquireLease(rid('run_live'), { id: 'other', pid: process.pid })).toBeUndefined();
    expect(await store.acquireLease(rid('run_dead'), { id: 'rescuer', pid: process.pid })).toBeDefined();
    expect(await store.getRunRow('run_dead')).toMatchObject({ ownerId: 'rescuer', ownerPid: process.pid });
    expect(await store.findRunsToRecover()).toEqual([]);
  });

  it('a running run with no owner is recoverable', async () => {
    await store.createRun(newRun('run_orphan'));
    await store.createRun(newRun('run_queued'));
    const lease = (await store.acquireLease(rid('run_orphan'), { id: 'gone' }))!;
    await started('run_orphan', lease);
    await store.releaseLease(rid('run_orphan'), lease);
    expect((await store.findRunsToRecover()).map((r) => r.runId)).toEqual(['run_orphan']);
  });
});
