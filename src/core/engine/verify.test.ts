/**
 * `verify` after a crash (verify.ts): an unsafe http node that was in flight checks its effect
 * before anyone is asked. Present → succeeded with the check's output; absent → a new attempt
 * at once; unanswerable after the node's retries → in-doubt with the check's error. Each is
 * replayed from its record.
 */
import { describe, expect, it } from 'vitest';
import { NodeFailure } from '../errors.js';
import { asNewEvent, type RunEvent } from '../events.js';
import type { Graph, GraphNode } from '../graph/schema.js';
import type { RunId } from '../ids.js';
import type { RunnerServices, VerifyRequest } from '../ports.js';
import { SimClock } from './clock.js';
import { Engine } from './engine.js';
import { MemoryStore } from './memory-store.js';
import { replayRun } from './replay.js';
import { counting, graph, nodeSeq, testEngine } from './test-kit.js';

const e = (source: string, target: string) => ({ id: `${source}-${target}`, source, target });
const order = (extra: Partial<GraphNode> = {}): GraphNode => ({
  id: 'order',
  type: 'http',
  config: {
    method: 'POST',
    url: 'http://shop.test/orders',
    body: { item: '{{input.item}}' },
    verify: { url: 'http://shop.test/orders/{{idempotencyKey}}', expect: 'response.status = 200' },
  },
  ...extra,
});
const g: Graph = graph({
  nodes: [
    { id: 'start', type: 'input', config: {} },
    order(),
    { id: 'done', type: 'output', config: { value: '{{nodes.order.output}}' } },
  ],
  edges: [e('start', 'order'), e('order', 'done')],
});
const http = counting(async (ctx) => ({ output: { status: 201, body: { key: ctx.idempotencyKey } } }));

/** A fresh engine (with `services`) on the log a process killed at `predicate` left. */
function crashedAt(
  graph_: Graph,
  runId: RunId,
  events: RunEvent[],
  predicate: (e: RunEvent) => boolean,
  services?: RunnerServices,
) {
  const kept = events.slice(0, events.findIndex(predicate) + 1).map(asNewEvent);
  const clock = new SimClock();
  const store = new MemoryStore(() => clock.now());
  store.seed({ runId, graph: graph_, graphHash: 'h', events: kept });
  const engine = new Engine({
    store,
    clock,
    runners: { http },
    owner: { id: 'second' },
    random: () => 0,
    controlPollMs: 60_000,
    ...(services ? { services } : {}),
  });
  return { engine, store };
}

async function killedInFlight(graph_ = g) {
  const first = testEngine({ http });
  const o = await first.engine.start(graph_, { item: 'tea' }, { graphHash: 'h' });
  expect(o.status).toBe('succeeded');
  const events = first.store.snapshot(o.runId as RunId).events;
  return { runId: o.runId as RunId, events };
}
const startedOrder = (x: RunEvent) => x.type === 'node.started' && x.nodeId === 'order';

async function replayMatches(store: MemoryStore, runId: RunId): Promise<void> {
  const { graph: rg, events } = store.snapshot(runId);
  expect(await replayRun(runId, rg, events)).toEqual({ matches: true, differences: [], nodesCompared: 3 });
}

describe('verify after a crash', () => {
  it('effect present: succeeded with the checked output (verified), not sent again, replayed', async () => {
    const { runId, events } = await killedInFlight();
    const seen: VerifyRequest[] = [];
    const second = crashedAt(g, runId, events, startedOrder, {
      verifyEffect: async (req) => {
        seen.push(req);
        return { applied: true, output: { status: 200, body: { found: req.idempotencyKey } } };
      },
    });
    const calls = http.calls;
    const done = await second.engine.resume(runId);
    expect(done).toMatchObject({
      status: 'succeeded',
      result: { done: { status: 200, body: { found: `${runId}:order:1` } } },
    });
    expect(http.calls).toBe(calls); // the POST is not sent again
    expect(seen[0]!.scope).toMatchObject({
      idempotencyKey: `${runId}:order:1`,
      config: { method: 'POST', body: { item: 'tea' } }, // the attempt's rendered config
      input: { item: 'tea' },
    });
    const log = second.store.snapshot(runId).events;
    expect(nodeSeq(log, 'order').slice(-1)).toEqual(['node.succeeded']);
    expect(log.find((x) => x.type === 'node.succeeded' && x.nodeId === 'order')!.data).toMatchObject({
      attempt: 1,
      verified: true,
    });
    expect(log.some((x) => x.type === 'node.in-doubt')).toBe(false);
    await replayMatches(second.store, runId);
  });

  it('effect absent: a new attempt with a new key at once, replayed', async () => {
    const { runId, events } = await killedInFlight();
    const second = crashedAt(g, runId, events, startedOrder, {
      verifyEffect: async () => ({ applied: false, response: { status: 404, headers: {}, body: 'no such order' } }),
    });
    const calls = http.calls;
    const done = await second.engine.resume(runId);
    expect(done.status).toBe('succeeded');
    expect(http.calls - calls).toBe(1);
    const log = second.store.snapshot(runId).events;
    const retrying = log.find((x) => x.type === 'node.retrying' && x.nodeId === 'order')!;
    expect(retrying.data).toMatchObject({ attempt: 2, delayMs: 0, verified: false });
    const started = log.filter((x) => x.type === 'node.started' && x.nodeId === 'order').map((x) => x.data);
    expect(started.at(-1)).toMatchObject({ attempt: 2, idempotencyKey: `${runId}:order:2` });
    expect((await second.engine.inspect(runId)).result).toEqual({
      done: { status: 201, body: { key: `${runId}:order:2` } },
    });
    await replayMatches(second.store, runId);
  });

  it('check unanswerable: checked per the node retry policy, then in-doubt with the check error; a person retries', async () => {
    const retried = graph({
      nodes: [
        { id: 'start', type: 'input', config: {} },
        order({ retry: { maxAttempts: 3, backoffMs: 100, strategy: 'fixed', jitter: false } }),
        { id: 'done', type: 'output', config: { value: '{{nodes.order.output}}' } },
      ],
      edges: [e('start', 'order'), e('order', 'done')],
    });
    const { runId, events } = await killedInFlight(retried);
    let checks = 0;
    const second = crashedAt(retried, runId, events, startedOrder, {
      verifyEffect: async () => {
        checks++;
        throw new NodeFailure('network', 'connect ECONNREFUSED shop.test');
      },
    });
    const calls = http.calls;
    const waiting = await second.engine.resume(runId);
    expect(waiting).toMatchObject({ status: 'waiting', waitingFor: ['order'] });
    expect(checks).toBe(3);
    expect(http.calls).toBe(calls);
    const log = second.store.snapshot(runId).events;
    const doubt = log.find((x) => x.type === 'node.in-doubt')!;
    expect(doubt.data).toMatchObject({
      attempt: 1,
      verifyError: { kind: 'network', message: 'connect ECONNREFUSED shop.test', retryable: true },
    });
    expect(log.filter((x) => x.type === 'node.log' && x.nodeId === 'order')).toHaveLength(2);
    expect((await second.engine.inspect(runId)).nodes.get('order')!.error?.message).toBe(
      'connect ECONNREFUSED shop.test',
    );
    expect((await second.engine.retry(runId, 'order')).status).toBe('succeeded');
    await replayMatches(second.store, runId);
  });

  it('an expression that breaks is not retried: in-doubt at once', async () => {
    const { runId, events } = await killedInFlight();
    let checks = 0;
    const second = crashedAt(g, runId, events, startedOrder, {
      verifyEffect: async () => {
        checks++;
        throw new NodeFailure('template', 'verify.expect "x" must give a boolean');
      },
    });
    expect((await second.engine.resume(runId)).status).toBe('waiting');
    expect(checks).toBe(1);
  });

  it('a host that cannot check (no verifyEffect): in-doubt as before', async () => {
    const { runId, events } = await killedInFlight();
    const second = crashedAt(g, runId, events, startedOrder);
    expect(await second.engine.resume(runId)).toMatchObject({ status: 'waiting', waitingFor: ['order'] });
    expect(nodeSeq(second.store.snapshot(runId).events, 'order').slice(-1)).toEqual(['node.in-doubt']);
  });
});
