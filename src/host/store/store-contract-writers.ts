/**
 * The store contract with several writers on one database (store-contract.ts has the rest): two
 * store instances (as two processes have) racing for the same seq, a writer holding an old lease
 * epoch, leases that expire or whose owner died, and the store-wide event cursor seeing the other
 * instance's commits. Run for every Store (SQLite, PostgreSQL).
 */
import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ev } from '../../core/events.js';
import type { Lease, RunStatus } from '../../core/ports.js';
import type { Store } from './store.js';
import { logEvents, newRun, rid } from './test-helpers.js';

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

/**
 * `open` gives a fresh store; `again` a second instance on the same database (another connection,
 * as another process has), with leases of `leaseMs` if given.
 */
export function writersContract(
  label: string,
  open: () => Promise<Store>,
  again: (s: Store, opts?: { leaseMs?: number }) => Promise<Store>,
): void {
  let a: Store;
  let b: Store;
  beforeEach(async () => {
    a = await open();
    b = await again(a);
  });
  afterEach(async () => {
    await b.close();
    await a.close();
  });

  /** The run started by the lease holder (its first append, after run.created). */
  async function started(runId: string, lease: Lease): Promise<void> {
    await a.append(rid(runId), [ev('run.started', {})], { epoch: lease.epoch, afterSeq: 1 });
  }

  describe(`${label}: leases (owner pid and host, expiry)`, () => {
    it('records the owner, and takes over an expired lease', async () => {
      await a.createRun(newRun('run_exp'));
      const short = await again(a, { leaseMs: -1 });
      try {
        expect(await short.acquireLease(rid('run_exp'), { id: 'old', pid: process.pid })).toBeDefined();
        expect((await a.getRunRow('run_exp'))!.ownerId).toBe('old');
        expect((await a.findRunsToRecover()).map((r) => r.runId)).toEqual(['run_exp']);
        const taken = await a.acquireLease(rid('run_exp'), { id: 'new', pid: process.pid });
        expect(taken).toBeDefined();
        expect(taken!.released).toBeUndefined(); // expired, not released
        expect((await a.getRunRow('run_exp'))!.ownerId).toBe('new');
        expect(await a.findRunsToRecover()).toEqual([]);
      } finally {
        await short.close();
      }
    });

    it('takes over from a SIGKILLed owner process, and lists the run for recovery', async () => {
      await a.createRun(newRun('run_dead'));
      await a.createRun(newRun('run_live'));
      const pid = await deadPid();
      const dead = (await a.acquireLease(rid('run_dead'), { id: 'crashed', pid }))!;
      const live = (await a.acquireLease(rid('run_live'), { id: 'alive', pid: process.pid }))!;
      await started('run_dead', dead);
      await started('run_live', live);

      expect((await a.findRunsToRecover()).map((r) => r.runId)).toEqual(['run_dead']);
      expect(await b.acquireLease(rid('run_live'), { id: 'other', pid: process.pid })).toBeUndefined();
      expect(await b.acquireLease(rid('run_dead'), { id: 'rescuer', pid: process.pid })).toBeDefined();
      expect(await a.getRunRow('run_dead')).toMatchObject({ ownerId: 'rescuer', ownerPid: process.pid });
      expect(await a.findRunsToRecover()).toEqual([]);
    });

    it('a running run with no owner is recoverable; a queued one is not', async () => {
      await a.createRun(newRun('run_orphan'));
      await a.createRun(newRun('run_queued'));
      const lease = (await a.acquireLease(rid('run_orphan'), { id: 'gone' }))!;
      await started('run_orphan', lease);
      await a.releaseLease(rid('run_orphan'), lease);
      expect((await b.findRunsToRecover()).map((r) => r.runId)).toEqual(['run_orphan']);
    });

    it('finds the dead among some runs and their children; a status filter takes them for interrupted', async () => {
      const child = newRun('run_kid');
      const created = child.events[0]!;
      if (created.type !== 'run.created') throw new Error('newRun starts with run.created');
      const parent = { runId: 'run_top', nodeId: 'ask', key: 0 };
      for (const run of [newRun('run_top'), newRun('run_dead'), newRun('run_live')]) await a.createRun(run);
      await a.createRun({ ...child, events: [{ ...created, data: { ...created.data, parent } }] });
      const pid = await deadPid();
      for (const id of ['run_top', 'run_dead', 'run_kid'])
        await started(id, (await a.acquireLease(rid(id), { id: 'crashed', pid }))!);
      await started('run_live', (await a.acquireLease(rid('run_live'), { id: 'alive', pid: process.pid }))!);

      const among = async (runIds: string[], parentRunIds: string[] = []) =>
        (await b.findRunsToRecover({ runIds, parentRunIds })).map((r) => r.runId).sort();
      expect(await among(['run_dead', 'run_live'])).toEqual(['run_dead']);
      expect(await among(['run_live'], ['run_top'])).toEqual(['run_kid']);
      expect(await among([], ['run_live'])).toEqual([]);

      const dead = ['run_top', 'run_dead', 'run_kid'];
      const ids = async (status: RunStatus[]) => {
        const q = { status, interrupted: dead, order: 'asc' as const };
        const runs = (await b.listRuns(q)).map((r) => r.runId);
        expect(await b.countRuns(q)).toBe(runs.length);
        return runs.sort();
      };
      expect(await ids(['running'])).toEqual(['run_live']);
      expect(await ids(['interrupted'])).toEqual(['run_dead', 'run_top']);
      expect(await ids(['running', 'interrupted'])).toEqual(['run_dead', 'run_live', 'run_top']);
      expect(await ids(['succeeded'])).toEqual([]);
    });
  });

  describe(`${label}: the store contract with two writers`, () => {
    it('two writers racing for the same seq: exactly one commits each round, the other writes nothing', async () => {
      await a.createRun(newRun('run_race'));
      const lease = (await a.acquireLease(rid('run_race'), { id: 'shared' }))!;
      let after = 1;
      for (let round = 0; round < 25; round++) {
        const fence = { epoch: lease.epoch, afterSeq: after };
        const results = await Promise.allSettled([
          a.append(rid('run_race'), logEvents(2, 'a'), fence),
          b.append(rid('run_race'), logEvents(3, 'b'), fence),
        ]);
        const ok = results.filter((r) => r.status === 'fulfilled');
        const refused = results.filter((r) => r.status === 'rejected');
        expect(ok).toHaveLength(1);
        expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'fenced' });
        after += (ok[0] as PromiseFulfilledResult<unknown[]>).value.length;
      }
      const { events } = await b.loadRun(rid('run_race'));
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: after }, (_, i) => i + 1));
      expect((await a.getRunRow('run_race'))!.lastSeq).toBe(after);
      // Every committed batch is whole: no batch of `a` interleaved with one of `b`.
      const nodes = events.slice(1).map((e) => e.nodeId);
      for (let i = 0; i < nodes.length;) {
        const size = nodes[i] === 'a' ? 2 : 3;
        expect(new Set(nodes.slice(i, i + size)).size).toBe(1);
        i += size;
      }
    });

    it('a writer whose lease was taken over by another instance is fenced, however it races', async () => {
      await a.createRun(newRun('run_takeover'));
      const old = (await a.acquireLease(rid('run_takeover'), { id: 'old' }))!;
      await a.releaseLease(rid('run_takeover'), old);
      const next = (await b.acquireLease(rid('run_takeover'), { id: 'new' }))!;
      expect(next.epoch).toBe(old.epoch + 1);
      const [stale, fresh] = await Promise.allSettled([
        a.append(rid('run_takeover'), [ev('run.started', {})], { epoch: old.epoch, afterSeq: 1 }),
        b.append(rid('run_takeover'), [ev('run.started', {})], { epoch: next.epoch, afterSeq: 1 }),
      ]);
      expect(stale).toMatchObject({ status: 'rejected', reason: { code: 'fenced' } });
      expect(fresh.status).toBe('fulfilled');
      await expect(a.renewLease(rid('run_takeover'), old)).rejects.toMatchObject({ code: 'fenced' });
      expect((await a.getRunRow('run_takeover'))!).toMatchObject({ lastSeq: 2, status: 'running', ownerId: 'new' });
    });

    it('the store-wide cursor tails what the other instance commits, each event once, in order per run', async () => {
      const start = await a.maxEventCursor();
      await b.createRun(newRun('run_t1'));
      await b.createRun(newRun('run_t2'));
      const l1 = (await b.acquireLease(rid('run_t1'), { id: 'w' }))!;
      const l2 = (await b.acquireLease(rid('run_t2'), { id: 'w' }))!;
      for (let i = 0; i < 5; i++) {
        await b.append(rid('run_t1'), logEvents(1), { epoch: l1.epoch, afterSeq: 1 + i });
        await b.append(rid('run_t2'), logEvents(2), { epoch: l2.epoch, afterSeq: 1 + 2 * i });
      }
      const seen: { runId: string; seq: number }[] = [];
      let cursor = start;
      for (let guard = 0; guard < 50; guard++) {
        const page = await a.eventsAfterCursor(cursor, 4);
        if (page.events.length === 0) break;
        expect(page.cursor).toBeGreaterThan(cursor);
        cursor = page.cursor;
        seen.push(...page.events.map((e) => ({ runId: e.runId, seq: e.seq })));
      }
      const of = (id: string) => seen.filter((e) => e.runId === id).map((e) => e.seq);
      expect(of('run_t1')).toEqual([1, 2, 3, 4, 5, 6]);
      expect(of('run_t2')).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
      expect(await a.eventsAfterCursor(cursor, 100)).toEqual({ cursor, events: [] });
    });
  });
}
