/**
 * `rerun --from` a node above a map node, through the real CLI (docs/composition.md "Child runs"):
 * nothing below the node is reused, so the map runs again and starts a new child run per item
 * (linked to the new run), the first run's children are left as they were, nodes above are
 * copied, and the rerun replays from its record.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from './cli-harness.js';

type Listed = { runId: string; status: string; children?: Record<string, number>; parent?: { runId: string } };

const e = (source: string, target: string) => ({ id: `${source}-${target}`, source, target });

/** input → first → prep → each (map over prep's items) → out; each item's child doubles it. */
const graph = {
  format: 'statepipe.graph',
  version: 1,
  id: 'rerun-map',
  graphs: {
    twice: {
      format: 'statepipe.graph',
      version: 1,
      id: 'twice',
      nodes: [
        { id: 'calc', type: 'transform', config: { template: '{{input.item * 2}}' } },
        { id: 'r', type: 'output', config: { value: '{{nodes.calc.output}}' } },
      ],
      edges: [e('calc', 'r')],
    },
  },
  nodes: [
    { id: 'in', type: 'input', config: {} },
    { id: 'first', type: 'transform', config: { template: '{{input.items}}' } },
    { id: 'prep', type: 'transform', config: { template: '{{nodes.first.output}}' } },
    { id: 'each', type: 'map', config: { graph: 'twice', items: '{{nodes.prep.output}}', concurrency: 3 } },
    { id: 'out', type: 'output', config: { value: '{{nodes.each.output.results.r}}' } },
  ],
  edges: [e('in', 'first'), e('first', 'prep'), e('prep', 'each'), e('each', 'out')],
};

const list = async (db: string, ...args: string[]) =>
  JSON.parse((await cli(['list', '--json', ...args, '--db', db])).stdout) as Listed[];

describe('rerun --from above a map node', () => {
  it('runs the map again with new children; the first run and its children stay as they were', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'db');
    const file = path.join(dir, 'rerun-map.json');
    fs.writeFileSync(file, JSON.stringify(graph));
    const input = JSON.stringify({ items: [1, 2, 3, 4, 5] });
    const first = await cli(['run', file, '--input', input, '--json', '--db', db]);
    expect(first.code, first.stderr).toBe(0);
    const a = JSON.parse(first.stdout) as { runId: string; result: unknown };
    expect(a.result).toEqual({ out: [2, 4, 6, 8, 10] });
    const childrenOfA = (await list(db, '--parent', a.runId)).map((c) => c.runId).sort();
    expect(childrenOfA).toHaveLength(5);

    const re = await cli(['rerun', a.runId, '--from', 'prep', '--json', '--db', db]);
    expect(re.code, re.stderr).toBe(0);
    const b = JSON.parse(re.stdout) as { runId: string; status: string; result: unknown };
    expect(b).toMatchObject({ status: 'succeeded', result: { out: [2, 4, 6, 8, 10] } });
    expect(re.stderr).toContain(`first reused from ${a.runId}`);
    expect(re.stderr).not.toContain(`each reused`);

    // The map ran again: five new children, each linked to the rerun, none of the first run's.
    const childrenOfB = await list(db, '--parent', b.runId);
    expect(childrenOfB).toHaveLength(5);
    expect(childrenOfB.every((c) => c.status === 'succeeded' && c.parent?.runId === b.runId)).toBe(true);
    expect(childrenOfB.some((c) => childrenOfA.includes(c.runId))).toBe(false);
    expect((await list(db, '--parent', a.runId)).map((c) => c.runId).sort()).toEqual(childrenOfA);
    const top = await list(db);
    expect(Object.fromEntries(top.map((r) => [r.runId, r.children]))).toEqual({
      [a.runId]: { succeeded: 5 },
      [b.runId]: { succeeded: 5 },
    });

    // In the rerun, the map node was run (not copied) and its children recorded; it replays.
    const each = JSON.parse((await cli(['inspect', b.runId, '--node', 'each', '--json', '--db', db])).stdout) as {
      status: string;
      attempts: unknown[];
      children?: unknown[];
    };
    expect(each.status).toBe('succeeded');
    expect(each.attempts).toHaveLength(1);
    const replay = await cli(['replay', b.runId, '--db', db]);
    expect(replay.code, replay.stdout + replay.stderr).toBe(0);
    expect(replay.stdout).toMatch(/matches/);
  }, 90_000);
});
