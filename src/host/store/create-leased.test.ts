/**
 * createLeased: a run created with its lease already held (a map's child, driven at once by the
 * process that creates it), in the same transaction, with or without coalesced writes.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ev } from '../../core/events.js';
import { openDatabase } from './open.js';
import { newRun, rid, tmpDir } from './test-helpers.js';

const me = { id: 'proc-a' };
const other = { id: 'proc-b', pid: 1 };

describe('SQLite createLeased', () => {
  for (const coalesce of [true, false]) {
    it(`creates the run leased to its owner at epoch 1 (coalesced writes ${coalesce ? 'on' : 'off'})`, async () => {
      const store = openDatabase(path.join(tmpDir(), 'sp.db'));
      store.coalesceWrites = coalesce;
      const { events, lease } = await store.createLeased(newRun('r1'), me);
      expect(events.map((e) => e.type)).toEqual(['run.created']);
      expect(lease).toEqual({ owner: me, epoch: 1 });
      // Held by a live process: another owner cannot take it; its writes under the lease go in.
      expect(await store.acquireLease(rid('r1'), other)).toBeUndefined();
      const written = await store.append(rid('r1'), [ev('run.started', {})], { epoch: 1, afterSeq: 1 });
      expect(written[0]!.seq).toBe(2);
      // A writer of the old epoch 0 is fenced.
      await expect(store.append(rid('r1'), [ev('run.started', {})], { epoch: 0, afterSeq: 2 })).rejects.toMatchObject({
        code: 'fenced',
      });
      await store.releaseLease(rid('r1'), lease);
      expect(await store.acquireLease(rid('r1'), other)).toEqual({ owner: other, epoch: 2, released: true });
      // A run that exists is refused, as createRun refuses it.
      await expect(store.createLeased(newRun('r1'), me)).rejects.toMatchObject({ code: 'conflict' });
      await store.close();
    });
  }
});
