import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openDatabase } from './open.js';
import { rid, runWorkers as run, tmpDir } from './test-helpers.js';

const worker = path.join(path.dirname(fileURLToPath(import.meta.url)), 'append-worker.fixture.ts');
const runWorkers = (file: string, jobs: { runId: string; n: number }[]) =>
  run(
    worker,
    jobs.map(({ runId, n }) => [file, runId, String(n)]),
  );

describe('several processes on one file', () => {
  it('two processes append 500 events each at once: no SQLITE_BUSY, gapless seqs', async () => {
    const file = path.join(tmpDir(), 'shared.db');
    openDatabase(file).close();
    const results = await runWorkers(file, [
      { runId: 'run_proc_a', n: 500 },
      { runId: 'run_proc_b', n: 500 },
    ]);
    expect(results.map((r) => r.err)).toEqual(['', '']);
    expect(results.map((r) => r.code)).toEqual([0, 0]);
    expect(results.map((r) => r.out.trim())).toEqual(['ok 501', 'ok 501']);
    const store = openDatabase(file);
    try {
      for (const id of ['run_proc_a', 'run_proc_b']) {
        const { events } = await store.loadRun(rid(id));
        expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 501 }, (_, i) => i + 1));
        expect((await store.getRunRow(id))!.lastSeq).toBe(501);
        expect((await store.streamedText(id, 'ask', 1)).split(' ').filter(Boolean)).toHaveLength(500);
      }
    } finally {
      await store.close();
    }
  });

  it('two processes creating and migrating a fresh file at once', async () => {
    const file = path.join(tmpDir(), 'fresh.db');
    const results = await runWorkers(file, [
      { runId: 'run_x', n: 20 },
      { runId: 'run_y', n: 20 },
    ]);
    expect(results.map((r) => r.err)).toEqual(['', '']);
    expect(results.map((r) => r.out.trim())).toEqual(['ok 21', 'ok 21']);
  });
});
