/**
 * Crash safety (issue: engine): the real CLI is SIGKILLed at many points of a run (mid-stream
 * and during a delay among them) and `statepipe resume` finishes it. Each time: the same
 * final output as an uninterrupted run, no node executed again after it succeeded, a gapless
 * event seq, and every event the killed process had acknowledged still in the log.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, cliKilledAt, tempDir } from './cli-harness.js';

const graph = {
  format: 'statepipe.graph',
  version: 1,
  id: 'crashy',
  input: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
  concurrency: 2,
  nodes: [
    { id: 'start', type: 'input' },
    {
      id: 'draft',
      type: 'llm',
      config: {
        provider: 'mock',
        model: 'mock-1',
        prompt: 'Draft {{input.text}}',
        mock: { reply: 'one two three four five six seven eight nine ten eleven twelve', tokensPerSecond: 40 },
      },
    },
    {
      id: 'tone',
      type: 'llm',
      config: {
        provider: 'mock',
        model: 'mock-1',
        prompt: 'Tone of {{input.text}}',
        mock: { reply: { tone: 'calm' }, tokensPerSecond: 30 },
      },
    },
    { id: 'pause', type: 'delay', config: { ms: 400 } },
    { id: 'count', type: 'code', config: { code: 'return input.text.split(" ").length' } },
    {
      id: 'merge',
      type: 'transform',
      config: {
        template: {
          draft: '{{nodes.draft.output.text}}',
          tone: '{{nodes.tone.output.text}}',
          words: '{{nodes.count.output}}',
        },
      },
    },
    { id: 'result', type: 'output', config: { value: '{{nodes.merge.output}}' } },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'draft' },
    { id: 'e2', source: 'start', target: 'tone' },
    { id: 'e3', source: 'draft', target: 'pause' },
    { id: 'e4', source: 'pause', target: 'count' },
    { id: 'e5', source: 'count', target: 'merge' },
    { id: 'e6', source: 'tone', target: 'merge' },
    { id: 'e7', source: 'merge', target: 'result' },
  ],
};

type Ev = { seq: number; type: string; nodeId?: string; runId: string; data: Record<string, unknown> };

const dir = tempDir();
const graphFile = join(dir, 'crashy.json');
const input = JSON.stringify({ text: 'the quick brown fox jumps' });
let reference: unknown;

async function exportEvents(db: string, runId: string): Promise<Ev[]> {
  const r = await cli(['export', runId, '--db', db]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Ev);
}

beforeAll(async () => {
  writeFileSync(graphFile, JSON.stringify(graph));
  const db = join(dir, 'reference.db');
  const r = await cli(['run', graphFile, '--db', db, '--input', input, '--json']);
  expect(r.code, r.stderr).toBe(0);
  reference = (JSON.parse(r.stdout) as { result: unknown }).result;
  expect(reference).toMatchObject({ result: { words: 5, tone: '{"tone":"calm"}' } });
}, 60_000);

/** Kill points: by event index, and by kind (mid-stream, during the delay, inside the join). */
const killPoints: [string, (e: { type: string; nodeId?: string }, i: number) => boolean][] = [
  ['after run.created', (e) => e.type === 'run.created'],
  ['after run.started', (e) => e.type === 'run.started'],
  ['mid-stream (first tokens of draft)', (e) => e.type === 'node.tokens' && e.nodeId === 'draft'],
  ['mid-stream (tone tokens)', (e) => e.type === 'node.tokens' && e.nodeId === 'tone'],
  ['after draft succeeded', (e) => e.type === 'node.succeeded' && e.nodeId === 'draft'],
  ['during the delay', (e) => e.type === 'node.started' && e.nodeId === 'pause'],
  ['after the delay', (e) => e.type === 'node.succeeded' && e.nodeId === 'pause'],
  ['while code runs', (e) => e.type === 'node.started' && e.nodeId === 'count'],
  ['merge queued', (e) => e.type === 'node.queued' && e.nodeId === 'merge'],
  ['after merge', (e) => e.type === 'node.succeeded' && e.nodeId === 'merge'],
  ['output started', (e) => e.type === 'node.started' && e.nodeId === 'result'],
  ['event 5', (_e, i) => i === 4],
  ['event 9', (_e, i) => i === 8],
  ['event 14', (_e, i) => i === 13],
];

describe('SIGKILL at any point, then resume', () => {
  it.each(killPoints)('killed %s', async (_name, when) => {
    const db = join(dir, `${_name.replace(/\W+/g, '_')}.db`);
    const killed = await cliKilledAt(['run', graphFile, '--db', db, '--input', input], when);
    expect(killed.killed, `never reached the kill point; stderr: ${killed.stderr}`).toBe(true);
    const runId = killed.acknowledged[0]!.runId!;
    // A kill at the run's last steps may land after the run ended (the pure nodes left, merge and
    // result, and the run's end commit in the tick after the acknowledged event, before the
    // SIGKILL arrives): then resume refuses, and the log already holds the result.
    const ended = (await exportEvents(db, runId)).at(-1)!.type === 'run.succeeded';
    const resumed = await cli(['resume', runId, '--db', db, '--json']);
    if (ended)
      expect(['merge queued', 'after merge', 'output started'], 'the run ended before an early kill point').toContain(
        _name,
      );
    if (ended) expect(resumed.stderr).toMatch(/is succeeded and cannot be resumed/);
    expect(resumed.code, resumed.stderr).toBe(ended ? 2 : 0);
    const events = await exportEvents(db, runId);
    // Gapless seq from 1.
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    // Nothing acknowledged was lost.
    for (const a of killed.acknowledged) {
      const stored = events[a.seq - 1]!;
      expect({ seq: stored.seq, type: stored.type, nodeId: stored.nodeId }).toEqual({
        seq: a.seq,
        type: a.type,
        nodeId: a.nodeId,
      });
    }
    // No node executed again after it succeeded.
    const done = new Set<string>();
    for (const e of events) {
      if (e.nodeId && (e.type === 'node.started' || e.type === 'node.succeeded'))
        expect(done.has(e.nodeId), `${e.nodeId} ran again after it succeeded`).toBe(false);
      if (e.type === 'node.succeeded' && e.nodeId) done.add(e.nodeId);
    }
    // Same final output as the uninterrupted run.
    expect(events.at(-1)!.type).toBe('run.succeeded');
    expect(events.at(-1)!.data['result']).toEqual(reference);
    if (!ended) expect((JSON.parse(resumed.stdout) as { result: unknown }).result).toEqual(reference);
    // The record, crash included, replays to the same transitions and outputs.
    const replay = await cli(['replay', runId, '--db', db]);
    expect(replay.code, replay.stdout + replay.stderr).toBe(0);
    expect(replay.stdout).toMatch(/matches/);
  });
});
