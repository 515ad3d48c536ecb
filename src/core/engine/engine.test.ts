import { describe, expect, it } from 'vitest';
import { NodeFailure } from '../errors.js';
import type { GraphNode } from '../graph/schema.js';
import { counting, graph, nodeSeq, seqOf, testEngine } from './test-kit.js';

const input: GraphNode = { id: 'in', type: 'input', config: {} };
const mock = (
  id: string,
  reply: unknown,
  extra: Record<string, unknown> = {},
  node: Partial<GraphNode> = {},
): GraphNode => ({
  id,
  type: 'llm',
  config: { provider: 'mock', model: 'm', prompt: `p ${id}`, mock: { reply, tokensPerSecond: 100, ...extra } },
  ...node,
});
const out = (id: string, value: unknown): GraphNode => ({ id, type: 'output', config: { value } });
const e = (source: string, target: string, when?: boolean) => ({
  id: `${source}-${target}`,
  source,
  target,
  ...(when === undefined ? {} : { when }),
});

describe('engine event sequences', () => {
  it('success: a chain runs in order, every event once, gapless seq', async () => {
    const g = graph({
      nodes: [input, mock('a', 'hello world'), out('r', '{{nodes.a.output.text}}')],
      edges: [e('in', 'a'), e('a', 'r')],
    });
    const { engine, events } = testEngine();
    const o = await engine.start(g, {}, { graphHash: 'h' });
    expect(o).toMatchObject({ status: 'succeeded', result: { r: 'hello world' } });
    expect(seqOf(events)).toEqual([
      'run.created',
      'run.started',
      'node.queued:in',
      'node.started:in',
      'node.succeeded:in',
      'node.queued:a',
      'node.started:a',
      'node.succeeded:a',
      'node.queued:r',
      'node.started:r',
      'node.succeeded:r',
      'run.succeeded',
    ]);
    expect(events.map((x) => x.seq)).toEqual(events.map((_, i) => i + 1));
    const tokens = events.filter((x) => x.type === 'node.tokens');
    expect(tokens.length).toBeGreaterThan(0);
    expect(tokens.map((x) => (x.data as { text: string }).text).join('')).toBe('hello world');
  });

  it('retry then success: retryable failure backs off, then succeeds', async () => {
    const g = graph({
      nodes: [
        mock(
          'a',
          'ok',
          { failTimes: 2 },
          { retry: { maxAttempts: 3, backoffMs: 100, strategy: 'exponential', jitter: false } },
        ),
      ],
      edges: [],
    });
    const { engine, events } = testEngine();
    const o = await engine.start(g, {}, { graphHash: 'h' });
    expect(o.status).toBe('succeeded');
    expect(nodeSeq(events, 'a')).toEqual([
      'node.queued',
      'node.started',
      'node.retrying',
      'node.started',
      'node.retrying',
      'node.started',
      'node.succeeded',
    ]);
    const delays = events.filter((x) => x.type === 'node.retrying').map((x) => (x.data as { delayMs: number }).delayMs);
    expect(delays).toEqual([100, 200]);
  });

  it('non-retryable kinds fail at once even with attempts left', async () => {
    const boom = counting(async () => {
      throw new NodeFailure('code', 'bad code');
    });
    const g = graph({
      nodes: [{ id: 'c', type: 'code', config: { code: 'return 1' }, retry: { maxAttempts: 5 } }],
      edges: [],
    });
    const { engine, events } = testEngine({ code: boom });
    const o = await engine.start(g, {}, { graphHash: 'h' });
    expect(o).toMatchObject({ status: 'failed', error: { kind: 'code', nodeId: 'c' } });
    expect(boom.calls).toBe(1);
    expect(nodeSeq(events, 'c')).toEqual(['node.queued', 'node.started', 'node.failed']);
  });

  it('failure with skip propagation: descendants skipped naming the source, other branches finish, run fails', async () => {
    const g = graph({
      nodes: [
        input,
        mock('bad', 'x', { failTimes: 9 }),
        mock('child', 'y'),
        mock('grandchild', 'z'),
        mock('other', 'w'),
      ],
      edges: [e('in', 'bad'), e('bad', 'child'), e('child', 'grandchild'), e('in', 'other')],
    });
    const { engine, events } = testEngine();
    const o = await engine.start(g, {}, { graphHash: 'h' });
    expect(o).toMatchObject({ status: 'failed', error: { kind: 'provider', nodeId: 'bad' } });
    expect(nodeSeq(events, 'child')).toEqual(['node.skipped']);
    expect(events.find((x) => x.type === 'node.skipped' && x.nodeId === 'child')!.data).toEqual({
      reason: 'source bad failed',
      source: 'bad',
    });
    expect(nodeSeq(events, 'grandchild')).toEqual(['node.skipped']);
    expect(events.find((x) => x.type === 'node.skipped' && x.nodeId === 'grandchild')!.data).toEqual({
      reason: 'upstream node bad failed',
      source: 'bad',
    });
    expect(nodeSeq(events, 'other').at(-1)).toBe('node.succeeded');
    expect(seqOf(events).at(-1)).toBe('run.failed');
  });

  it('a join below a failure is skipped even when another input is live', async () => {
    const g = graph({
      nodes: [
        input,
        mock('bad', 'x', { failTimes: 9 }),
        mock('mid', 'y'),
        mock('ok', 'z'),
        out('join', '{{nodes.ok.output.text}}'),
      ],
      edges: [e('in', 'bad'), e('bad', 'mid'), e('in', 'ok'), e('mid', 'join'), e('ok', 'join')],
    });
    const { engine, events } = testEngine();
    const o = await engine.start(g, {}, { graphHash: 'h' });
    expect(o.status).toBe('failed');
    expect(nodeSeq(events, 'join')).toEqual(['node.skipped']);
    expect(events.find((x) => x.type === 'node.skipped' && x.nodeId === 'join')!.data).toEqual({
      reason: 'upstream node bad failed',
      source: 'bad',
    });
  });

  for (const risky of [true, false]) {
    it(`condition takes the ${risky} branch and skips the other`, async () => {
      const g = graph({
        nodes: [
          input,
          { id: 'cond', type: 'condition', config: { expression: 'input.risk = "high"' } },
          mock('yes', 'Y'),
          mock('no', 'N'),
        ],
        edges: [e('in', 'cond'), e('cond', 'yes', true), e('cond', 'no', false)],
      });
      const { engine, events } = testEngine();
      const o = await engine.start(g, { risk: risky ? 'high' : 'low' }, { graphHash: 'h' });
      expect(o.status).toBe('succeeded');
      const [taken, notTaken] = risky ? ['yes', 'no'] : ['no', 'yes'];
      expect(nodeSeq(events, taken).at(-1)).toBe('node.succeeded');
      expect(nodeSeq(events, notTaken)).toEqual(['node.skipped']);
      expect(events.find((x) => x.nodeId === notTaken)!.data).toEqual({ reason: 'branch not taken' });
    });
  }

  it('a join after an optional branch runs when the branch is skipped', async () => {
    const g = graph({
      nodes: [
        input,
        { id: 'cond', type: 'condition', config: { expression: 'false' } },
        mock('optional', 'o'),
        mock('main', 'm'),
        out('join', '{{nodes.main.output.text}}'),
      ],
      edges: [e('in', 'cond'), e('cond', 'optional', true), e('in', 'main'), e('optional', 'join'), e('main', 'join')],
    });
    const { engine, events } = testEngine();
    const o = await engine.start(g, {}, { graphHash: 'h' });
    expect(o).toMatchObject({ status: 'succeeded', result: { join: 'm' } });
    expect(nodeSeq(events, 'optional')).toEqual(['node.skipped']);
    expect(nodeSeq(events, 'join')).toEqual(['node.queued', 'node.started', 'node.succeeded']);
  });

  it('templates that evaluate to nothing fail the node with kind template', async () => {
    const g = graph({ nodes: [input, out('r', '{{input.missing}}')], edges: [e('in', 'r')] });
    const { engine } = testEngine();
    const o = await engine.start(g, {}, { graphHash: 'h' });
    expect(o).toMatchObject({ status: 'failed', error: { kind: 'template', nodeId: 'r' } });
    expect(o.error!.message).toContain('input.missing');
  });

  it('a node that runs past its timeout fails with kind timeout', async () => {
    const g = graph({ nodes: [mock('slow', 'a b c d e f', { tokensPerSecond: 1 }, { timeoutMs: 2500 })], edges: [] });
    const { engine } = testEngine();
    const o = await engine.start(g, {}, { graphHash: 'h' });
    expect(o).toMatchObject({ status: 'failed', error: { kind: 'timeout', nodeId: 'slow' } });
  });

  it('never runs more nodes at once than the concurrency limit', async () => {
    let now = 0;
    let peak = 0;
    const slow = counting(async (ctx) => {
      now++;
      peak = Math.max(peak, now);
      await ctx.clock.sleep(100, ctx.signal);
      now--;
      return { output: 1 };
    });
    const nodes: GraphNode[] = [input];
    const edges = [];
    for (let i = 0; i < 10; i++) {
      nodes.push({ id: `c${i}`, type: 'code', config: { code: 'return 1' } });
      edges.push(e('in', `c${i}`));
    }
    const g = graph({ nodes, edges, concurrency: 3 });
    const { engine } = testEngine({ code: slow });
    expect((await engine.start(g, {}, { graphHash: 'h' })).status).toBe('succeeded');
    expect(slow.calls).toBe(10);
    expect(peak).toBe(3);
  });
});

describe('timeouts', () => {
  it('a timed-out attempt is retried and can succeed (the timeout ends the attempt, not the node)', async () => {
    let calls = 0;
    const slowThenFast = counting(async (ctx) => {
      calls++;
      if (calls === 1) await ctx.clock.sleep(10_000, ctx.signal);
      return { output: 'ok' };
    });
    const g = graph({
      nodes: [
        {
          id: 'c',
          type: 'code',
          config: { code: 'x' },
          timeoutMs: 300,
          retry: { maxAttempts: 2, backoffMs: 10, jitter: false },
        },
      ],
      edges: [],
    });
    const { engine, events } = testEngine({ code: slowThenFast });
    const o = await engine.start(g, {}, { graphHash: 'h' });
    expect(o.status).toBe('succeeded');
    expect(nodeSeq(events, 'c')).toEqual([
      'node.queued',
      'node.started',
      'node.retrying',
      'node.started',
      'node.succeeded',
    ]);
    expect((events.find((x) => x.type === 'node.retrying')!.data as { error: { kind: string } }).error.kind).toBe(
      'timeout',
    );
  });

  it('runners get the effective time limit: the node one, else the graph default (code nodes ignored the default)', async () => {
    const seen: Record<string, number> = {};
    const code = counting(async (ctx) => {
      seen[ctx.node.id] = ctx.timeoutMs;
      return { output: 1 };
    });
    const g = graph({
      defaults: { timeoutMs: 1234 },
      nodes: [
        input,
        { id: 'c1', type: 'code', config: { code: 'return 1' } },
        { id: 'c2', type: 'code', config: { code: 'return 1' }, timeoutMs: 99 },
      ],
      edges: [e('in', 'c1'), e('in', 'c2')],
    });
    const { engine } = testEngine({ code });
    await engine.start(g, {}, { graphHash: 'h' });
    expect(seen).toEqual({ c1: 1234, c2: 99 });
  });
});
