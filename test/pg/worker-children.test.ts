/**
 * A map's children on workers (docs/composition.md, docs/scale-out.md "Workers"): a 30-item map
 * queued with `run --detach` is spread over 3 `statepipe worker` processes (each child is a run a
 * worker claims), the worker driving the parent is SIGKILLed mid-map (its children in flight), and still every item's child succeeds exactly
 * once and the map's result is whole and in item order. A map of concurrency 16 on one worker
 * leaves no MaxListenersExceededWarning on its stderr (its children wait on the node's one signal).
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, tmpDir } from '../../src/cli/cli-test-kit.js';
import { testDatabase } from './db.js';
import { killAll, startWorker, until, type Worker } from './worker-kit.js';

const ITEMS = 30;
const workers: Worker[] = [];
afterAll(() => killAll(workers));

const edge = (source: string, target: string) => ({ id: `${source}-${target}`, source, target });

/** Each item: a short wait (so items overlap across workers), then its doubled value. */
const child = {
  format: 'statepipe.graph',
  version: 1,
  id: 'item',
  nodes: [
    { id: 'pause', type: 'delay', config: { ms: 400 } },
    { id: 'calc', type: 'transform', config: { template: { twice: '{{input.item}}{{input.item}}' } } },
    { id: 'value', type: 'output', config: { value: '{{nodes.calc.output.twice}}' } },
  ],
  edges: [edge('pause', 'calc'), edge('calc', 'value')],
};

const parent = {
  format: 'statepipe.graph',
  version: 1,
  id: 'fan',
  graphs: { item: child },
  nodes: [
    { id: 'each', type: 'map', config: { graph: 'item', items: '{{input.items}}', concurrency: 12 } },
    { id: 'r', type: 'output', config: { value: '{{nodes.each.output.results}}' } },
  ],
  edges: [edge('each', 'r')],
};

describe('map children on workers', () => {
  it(`spreads a ${ITEMS}-item map over 3 workers; one SIGKILLed mid-map; every child succeeds once`, async () => {
    const db = await testDatabase();
    const dir = tmpDir();
    const file = path.join(dir, 'fan.json');
    fs.writeFileSync(file, JSON.stringify(parent));
    const items = Array.from({ length: ITEMS }, (_, i) => `i${i}`);
    const queued = await cli(['run', file, '--input', JSON.stringify({ items }), '--detach', '--db', db], { cwd: dir });
    expect(queued.code, queued.stderr).toBe(0);
    const runId = queued.stdout.trim();

    for (const name of ['w0', 'w1', 'w2']) workers.push(await startWorker(db, name, dir, '--concurrency', '4'));
    const client = new pg.Client({ connectionString: db });
    await client.connect();
    try {
      const children = async () =>
        (
          await client.query<{ run_id: string; status: string; owner_id: string | null }>(
            'SELECT run_id, status, owner_id FROM statepipe.runs WHERE parent_run_id = $1',
            [runId],
          )
        ).rows;
      // Mid-map: some children done, others in flight; the worker driving the parent dies, with
      // children of its own in flight (the hardest case: the parent and those children are taken over).
      const ownerOf = async (id: string) =>
        (await client.query<{ owner_id: string | null }>('SELECT owner_id FROM statepipe.runs WHERE run_id = $1', [id]))
          .rows[0]?.owner_id ?? '';
      let victim = -1;
      await until("children in flight on the parent's worker", async () => {
        const rows = await children();
        const owner = (await ownerOf(runId)).split('@')[0]!;
        if (!owner || rows.filter((r) => r.status === 'succeeded').length < 3) return false;
        if (!rows.some((r) => r.status === 'running' && r.owner_id?.startsWith(`${owner}@`))) return false;
        victim = Number(owner.slice(1));
        return true;
      });
      const claimedByVictim = workers[victim]!.out.filter((l) => l.includes(' claimed ')).length;
      workers[victim]!.child.kill('SIGKILL');

      const status = async () =>
        (await client.query<{ status: string }>('SELECT status FROM statepipe.runs WHERE run_id = $1', [runId])).rows[0]
          ?.status;
      await until('the parent ends', async () => ['succeeded', 'failed'].includes((await status()) ?? ''), 90_000);
      expect(await status()).toBe('succeeded');
      const inspect = await cli(['inspect', runId, '--json', '--db', db], { cwd: dir });
      expect((JSON.parse(inspect.stdout) as { result: unknown }).result).toEqual({
        r: items.map((i) => ({ value: i + i })),
      });

      // Every item's child: one run, succeeded once, each node succeeded once.
      const rows = await children();
      expect(rows).toHaveLength(ITEMS);
      expect(rows.every((r) => r.status === 'succeeded')).toBe(true);
      const ids = rows.map((r) => r.run_id);
      const ends = await client.query<{ run_id: string; n: string }>(
        `SELECT run_id, count(*) AS n FROM statepipe.events WHERE run_id = ANY($1) AND type = 'run.succeeded' GROUP BY run_id`,
        [ids],
      );
      expect(ends.rows).toHaveLength(ITEMS);
      for (const e of ends.rows) expect(Number(e.n), e.run_id).toBe(1);
      const twice = await client.query(
        `SELECT run_id, node_id FROM statepipe.events WHERE run_id = ANY($1) AND type = 'node.succeeded'
          GROUP BY run_id, node_id HAVING count(*) > 1`,
        [ids],
      );
      expect(twice.rows).toEqual([]);
      const recorded = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM statepipe.events WHERE run_id = $1 AND type = 'child.finished'`,
        [runId],
      );
      expect(Number(recorded.rows[0]!.n)).toBe(ITEMS);

      // The children were driven by more than one worker (each claims runs by id and logs it).
      const drivers = new Set<string>();
      for (const [i, w] of workers.entries())
        if (ids.some((id) => w.out.some((l) => l.includes(`claimed ${id}`)))) drivers.add(`w${i}`);
      expect(drivers.size, [...drivers].join(',')).toBeGreaterThan(1);
      expect(claimedByVictim, 'the killed worker drove children too').toBeGreaterThan(1);
      // A survivor took the parent over and finished it.
      const survivors = workers.filter((_, i) => i !== victim);
      expect(survivors.some((w) => w.out.some((l) => l.includes(`finished ${runId} succeeded`)))).toBe(true);
    } finally {
      await client.end();
      for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
    }
  }, 150_000);

  it('a map of concurrency 16 on a worker: its children wait on the node without a warning on stderr', async () => {
    const db = await testDatabase();
    const dir = tmpDir();
    const file = path.join(dir, 'wide.json');
    const quick = { ...child, nodes: child.nodes.map((n) => (n.id === 'pause' ? { ...n, config: { ms: 300 } } : n)) };
    const wide = {
      ...parent,
      graphs: { item: quick },
      nodes: parent.nodes.map((n) => (n.id === 'each' ? { ...n, config: { ...n.config, concurrency: 16 } } : n)),
    };
    fs.writeFileSync(file, JSON.stringify(wide));
    const items = Array.from({ length: 16 }, (_, i) => `i${i}`);
    const queued = await cli(['run', file, '--input', JSON.stringify({ items }), '--detach', '--db', db], { cwd: dir });
    expect(queued.code, queued.stderr).toBe(0);
    const runId = queued.stdout.trim();
    // One worker drives the parent and every child: all 16 wait on the map node's signal at once.
    const w = await startWorker(db, 'solo', dir, '--concurrency', '20');
    workers.push(w);
    await until('the map ends', () => w.out.some((l) => l.includes(`finished ${runId} `)), 60_000);
    expect(w.out.join('\n')).toContain(`finished ${runId} succeeded`);
    expect(w.out.join('\n')).not.toMatch(/MaxListenersExceeded|memory leak/);
    w.child.kill('SIGTERM');
  }, 90_000);
});
