/**
 * A pause while a node waits out a retry's backoff: no new attempt goes out while the run is
 * paused; the node stays `retrying`, and the resume waits what is left of its backoff. Event
 * sequences on the in-memory store, simulated time, and the record replayed.
 */
import { describe, expect, it } from 'vitest';
import { NodeFailure } from '../errors.js';
import type { GraphNode } from '../graph/schema.js';
import type { RunId } from '../ids.js';
import type { NodeRunner } from '../ports.js';
import { replayRun } from './replay.js';
import { graph, nodeSeq, testEngine } from './test-kit.js';

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 1));
  if (!cond()) throw new Error('condition never met');
}

/** `flaky` fails its first call (retryable); `slow` ends when `release()` is called. */
function runners() {
  let calls = 0;
  let release = (): void => undefined;
  const runner: NodeRunner = (ctx) => {
    if (ctx.node.id === 'slow') return new Promise((r) => (release = () => r({ output: 'slow' })));
    if (++calls === 1) return Promise.reject(new NodeFailure('network', 'connection reset', { retryable: true }));
    return Promise.resolve({ output: 'done' });
  };
  return { runner, calls: () => calls, release: () => release() };
}

const node = (id: string): GraphNode => ({
  id,
  type: 'code',
  config: { code: 'x' },
  sideEffect: 'idempotent',
  retry: { maxAttempts: 3, backoffMs: 10_000, jitter: false },
});

describe('a pause during a retry backoff', () => {
  it('stops the backoff: paused at once, no attempt while paused, the rest of the backoff after the resume; it replays', async () => {
    const r = runners();
    const env = testEngine({ code: r.runner }, { autoClock: false });
    const runId = await env.engine.createRun(graph({ nodes: [node('flaky')], edges: [] }), {}, { graphHash: 'h' });
    const driving = env.engine.drive(runId);
    await until(() => env.events.some((x) => x.type === 'node.retrying'));
    env.clock.advance(4_000);
    await env.engine.pause(runId);
    expect((await driving).status).toBe('paused');
    expect((await env.engine.inspect(runId)).nodes.get('flaky' as never)?.status).toBe('retrying');
    expect(r.calls()).toBe(1);
    const resumed = env.engine.resume(runId);
    await until(() => env.events.some((x) => x.type === 'run.resumed'));
    env.clock.advance(6_000); // what was left of the 10 s
    expect((await resumed).status).toBe('succeeded');
    expect(r.calls()).toBe(2);
    expect(nodeSeq(env.events, 'flaky')).toEqual([
      'node.queued',
      'node.started',
      'node.retrying',
      'node.started',
      'node.succeeded',
    ]);
    const { graph: g, events } = env.store.snapshot(runId as RunId);
    expect(await replayRun(runId as RunId, g, events)).toMatchObject({ matches: true, differences: [] });
  });

  it('resumed while another node still runs, the retry goes on in the same drive', async () => {
    const r = runners();
    const env = testEngine({ code: r.runner }, { autoClock: false });
    const g = graph({ nodes: [node('flaky'), { ...node('slow'), retry: { maxAttempts: 1 } }], edges: [] });
    const runId = await env.engine.createRun(g, {}, { graphHash: 'h' });
    const driving = env.engine.drive(runId);
    await until(() => env.events.some((x) => x.type === 'node.retrying'));
    await env.engine.pause(runId);
    expect(r.calls()).toBe(1);
    await env.engine.resume(runId); // the slow node kept this drive alive: resumed here
    env.clock.advance(10_000);
    await until(() => r.calls() === 2);
    r.release();
    expect((await driving).status).toBe('succeeded');
  });
});
