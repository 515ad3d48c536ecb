/**
 * Crash safety of composition: the real CLI runs a map over 30 items (each item a child run
 * with a streaming llm) and is SIGKILLed mid-map, then `statepipe resume` finishes it. Each
 * time: one child run per item, each succeeded exactly once, no node of any run executed again
 * after it succeeded, gapless seqs in every run, every acknowledged event still in the log, the
 * same result as an uninterrupted run, and the record (children included) replays.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { asRunId } from '../src/core/ids.js';
import { openDatabase } from '../src/host/store/index.js';
import { cli, cliKilledAt, tempDir, type AckedEvent } from './cli-harness.js';

const ITEMS = 30;
const graph = {
  format: 'statepipe.graph',
  version: 1,
  id: 'batch',
  input: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
  nodes: [
    { id: 'items', type: 'transform', config: { template: '{{ [1..input.n] }}' } },
    { id: 'each', type: 'map', config: { graph: 'item', items: '{{nodes.items.output}}', concurrency: 4 } },
    { id: 'out', type: 'output', config: { value: '{{nodes.each.output}}' } },
  ],
  edges: [
    { id: 'e1', source: 'items', target: 'each' },
    { id: 'e2', source: 'each', target: 'out' },
  ],
  graphs: {
    item: {
      format: 'statepipe.graph',
      version: 1,
      id: 'item',
      nodes: [
        {
          id: 'ask',
          type: 'llm',
          config: {
            provider: 'mock',
            model: 'mock-1',
            prompt: 'Extract item {{input.item}}',
            mock: { reply: 'one two three four five six', tokensPerSecond: 300 },
          },
        },
        {
          id: 'res',
          type: 'transform',
          config: { template: { item: '{{input.item}}', text: '{{nodes.ask.output.text}}' } },
        },
      ],
      edges: [{ id: 'e', source: 'ask', target: 'res' }],
    },
  },
};

type Ev = { seq: number; type: string; nodeId?: string; runId: string; data: Record<string, unknown> };
type Listed = { runId: string; status: string; parent?: { nodeId: string; key: number } };

const dir = tempDir();
const graphFile = join(dir, 'batch.json');
const input = JSON.stringify({ n: ITEMS });
let reference: unknown;

/** Every run's events, read from the database file the killed and resumed processes left. */
async function eventsOf(db: string, runIds: string[]): Promise<Map<string, Ev[]>> {
  const store = openDatabase(db, { readonly: true });
  try {
    const out = new Map<string, Ev[]>();
    for (const id of runIds) out.set(id, (await store.loadRun(asRunId(id))).events as Ev[]);
    return out;
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  writeFileSync(graphFile, JSON.stringify(graph));
  const r = await cli(['run', graphFile, '--db', join(dir, 'reference.db'), '--input', input, '--json']);
  expect(r.code, r.stderr).toBe(0);
  reference = (JSON.parse(r.stdout) as { result: unknown }).result;
  expect(reference).toMatchObject({ out: { succeeded: ITEMS, failed: 0 } });
}, 60_000);

const nth = (type: string, n: number) => {
  let seen = 0;
  return (e: { type: string }) => e.type === type && ++seen === n;
};

/** Kill points inside the map: as it starts children, mid-stream in children, between items. */
const killPoints: [string, (e: AckedEvent, i: number) => boolean][] = [
  ['after the first child is committed', nth('node.child', 1)],
  ['as the fifth child run is created', nth('run.created', 6)],
  ['mid-stream in a child (tenth token event)', nth('node.tokens', 10)],
  ['after 12 items finished', nth('child.finished', 12)],
  ['after 29 items finished', nth('child.finished', 29)],
  ['after the map succeeded', (e) => e.type === 'node.succeeded' && e.nodeId === 'each'],
];

describe('SIGKILL mid-map over 30 items, then resume', { timeout: 120_000 }, () => {
  it.each(killPoints)('killed %s', async (name, when) => {
    const db = join(dir, `${name.replace(/\W+/g, '_')}.db`);
    const killed = await cliKilledAt(['run', graphFile, '--db', db, '--input', input], when);
    expect(killed.killed, `never reached the kill point; stderr: ${killed.stderr}`).toBe(true);
    const runId = killed.acknowledged[0]!.runId!;
    // A kill at the map's last steps may land after the run ended (its end commits in the same
    // tick as the last item's): then resume refuses, and the log already holds the result.
    const resumed = await cli(['resume', runId, '--db', db, '--json']);
    if (resumed.code === 2) expect(resumed.stderr).toMatch(/is succeeded and cannot be resumed/);
    else expect(resumed.code, resumed.stderr).toBe(0);

    const listed = await cli(['list', '--parent', runId, '--limit', '1000', '--json', '--db', db]);
    expect(listed.code, listed.stderr).toBe(0);
    const children = JSON.parse(listed.stdout) as Listed[];
    // One child run per item (never a second one for a key), every one succeeded.
    expect(children.map((c) => c.parent!.key).sort((a, b) => a - b)).toEqual([...Array(ITEMS).keys()]);
    expect(children.every((c) => c.status === 'succeeded')).toBe(true);

    const byRun = await eventsOf(db, [runId, ...children.map((c) => c.runId)]);
    expect(byRun.get(runId)!.at(-1)!.data['result']).toEqual(reference);
    for (const [id, events] of byRun) {
      expect(
        events.map((e) => e.seq),
        id,
      ).toEqual(events.map((_, i) => i + 1));
      expect(
        events.filter((e) => e.type === 'run.succeeded'),
        id,
      ).toHaveLength(1);
      const done = new Set<string>();
      for (const e of events) {
        if (e.nodeId && (e.type === 'node.started' || e.type === 'node.succeeded'))
          expect(done.has(e.nodeId), `${id}: ${e.nodeId} ran again after it succeeded`).toBe(false);
        if (e.type === 'node.succeeded' && e.nodeId) done.add(e.nodeId);
      }
    }
    // The parent's map started each child once: one node.child and one child.finished per key.
    const parent = byRun.get(runId)!;
    for (const type of ['node.child', 'child.finished']) {
      const keys = parent.filter((e) => e.type === type).map((e) => e.data['key'] as number);
      expect(new Set(keys).size, type).toBe(keys.length);
    }
    // Nothing acknowledged was lost, in the parent or in a child.
    for (const a of killed.acknowledged) {
      const stored = byRun.get(a.runId!)?.[a.seq - 1];
      expect(stored && { seq: stored.seq, type: stored.type }, `${a.runId} seq ${a.seq}`).toEqual({
        seq: a.seq,
        type: a.type,
      });
    }
    const replay = await cli(['replay', runId, '--db', db]);
    expect(replay.code, replay.stdout + replay.stderr).toBe(0);
    expect(replay.stdout).toMatch(/matches/);
  });
});
