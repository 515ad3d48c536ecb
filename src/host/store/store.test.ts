import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../core/errors.js';
import { ev, type NewEvent } from '../../core/events.js';
import { openDatabase } from './open.js';
import { sha256, type SqliteStore } from './sqlite-store.js';
import { logEvents, makeGraph, newRun, nid, rid, tmpDir } from './test-helpers.js';

let store: SqliteStore;
beforeEach(() => {
  store = openDatabase(path.join(tmpDir(), 'sp.db'));
});
afterEach(() => store.close());

const err = { kind: 'network' as const, message: 'boom', retryable: true };

describe('createRun / append / loadRun', () => {
  it('creates a run with its graph snapshot and first events', () => {
    const run = newRun('run_1', makeGraph('g1'), { vendor: 'acme' });
    const committed = store.createRun(run);
    expect(committed).toHaveLength(1);
    expect(committed[0]).toMatchObject({ seq: 1, runId: 'run_1', type: 'run.created' });
    expect(new Date(committed[0]!.ts).toISOString()).toBe(committed[0]!.ts);
    const row = store.getRunRow('run_1')!;
    expect(row).toMatchObject({
      status: 'queued',
      graphId: 'g1',
      graphVersion: 1,
      input: { vendor: 'acme' },
      lastSeq: 1,
    });
    expect(row.graphHash).toBe(run.graphHash);
    const loaded = store.loadRun(rid('run_1'));
    expect(loaded.graph).toEqual(run.graph);
    expect(loaded.events).toEqual(committed);
  });

  it('reuses the graph version for identical content, adds one for new content', () => {
    store.createRun(newRun('run_a', makeGraph('g')));
    store.createRun(newRun('run_b', makeGraph('g')));
    store.createRun(newRun('run_c', makeGraph('g', { description: 'changed' })));
    expect(store.getRunRow('run_a')!.graphVersion).toBe(1);
    expect(store.getRunRow('run_b')!.graphVersion).toBe(1);
    expect(store.getRunRow('run_c')!.graphVersion).toBe(2);
    // A run's snapshot is not a saved version: the graph's latest stays the one it had.
    expect(store.getGraph('g').description).toBeUndefined();
    expect(store.getGraph('g', 2).description).toBe('changed');
    expect(store.graphVersionOf('g', 2)).toEqual({ version: 2, saved: false });
    expect(store.listGraphs()).toEqual([]);
    // An existing run keeps its own snapshot.
    expect(store.loadRun(rid('run_a')).graph.description).toBeUndefined();
  });

  it('refuses a duplicate run id and unknown runs', () => {
    store.createRun(newRun('run_dup'));
    expect(() => store.createRun(newRun('run_dup'))).toThrow(/already exists/);
    const check = (fn: () => unknown) => {
      try {
        fn();
        throw new Error('expected throw');
      } catch (e) {
        expect(e).toBeInstanceOf(AppError);
        expect((e as AppError).code).toBe('not-found');
        expect((e as AppError).message).toBe('run run_nope not found');
      }
    };
    check(() => store.loadRun(rid('run_nope')));
    check(() => store.append(rid('run_nope'), logEvents(1)));
    expect(store.getRunRow('run_nope')).toBeUndefined();
  });

  it('assigns gapless seqs across many appends', () => {
    store.createRun(newRun('run_seq'));
    let expected = 2;
    for (let i = 0; i < 200; i++) {
      const batch = store.append(rid('run_seq'), logEvents((i % 4) + 1));
      for (const e of batch) expect(e.seq).toBe(expected++);
    }
    const { events } = store.loadRun(rid('run_seq'));
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
    expect(store.getRunRow('run_seq')!.lastSeq).toBe(events.length);
    expect(store.eventsSince('run_seq', 10, 5).map((e) => e.seq)).toEqual([11, 12, 13, 14, 15]);
  });

  it('append is atomic: one unserializable event rolls back the whole batch', () => {
    store.createRun(newRun('run_atomic'));
    store.append(rid('run_atomic'), [ev('run.started', {})]);
    const bad: NewEvent[] = [
      ev('node.queued', {}, nid('ask')),
      ev('node.started', { attempt: 1, idempotencyKey: 'k' }, nid('ask')),
      ev(
        'node.succeeded',
        { attempt: 1, durationMs: 5, output: { n: 10n }, usage: { inputTokens: 1, outputTokens: 2 } },
        nid('ask'),
      ),
    ];
    expect(() => store.append(rid('run_atomic'), bad)).toThrow();
    const row = store.getRunRow('run_atomic')!;
    expect(row.lastSeq).toBe(2);
    expect(row.tokens).toBe(0);
    expect(store.loadRun(rid('run_atomic')).events).toHaveLength(2);
    expect(store.nodeStates('run_atomic')).toEqual([]);
    expect(store.nodeAttempts('run_atomic')).toEqual([]);
    // The next append continues without a gap.
    expect(store.append(rid('run_atomic'), logEvents(1))[0]!.seq).toBe(3);
  });
});

describe('projections', () => {
  it('follows a typical run', () => {
    store.createRun(newRun('run_p'));
    const a = nid('ask');
    const i = nid('in');
    store.append(rid('run_p'), [
      ev('run.started', {}),
      ev('node.queued', {}, i),
      ev('node.started', { attempt: 1, idempotencyKey: 'run_p:in:1' }, i),
    ]);
    store.append(rid('run_p'), [
      ev('node.succeeded', { attempt: 1, durationMs: 1, output: { q: 1 } }, i),
      ev('node.queued', {}, a),
    ]);
    store.append(rid('run_p'), [ev('node.started', { attempt: 1, idempotencyKey: 'run_p:ask:1' }, a)]);
    expect(store.nodeStates('run_p').find((n) => n.nodeId === 'ask')?.status).toBe('running');
    expect(store.getRunRow('run_p')!.status).toBe('running');
    store.append(rid('run_p'), [ev('node.tokens', { attempt: 1, text: 'Hel' }, a)]);
    store.append(rid('run_p'), [ev('node.tokens', { attempt: 1, text: 'lo' }, a)]);
    store.append(rid('run_p'), [ev('node.retrying', { attempt: 1, delayMs: 10, error: err }, a)]);
    expect(store.nodeStates('run_p').find((n) => n.nodeId === 'ask')).toMatchObject({ status: 'retrying', error: err });
    store.append(rid('run_p'), [
      ev('node.started', { attempt: 2, idempotencyKey: 'run_p:ask:2' }, a),
      ev('node.tokens', { attempt: 2, text: 'Hello!' }, a),
      ev(
        'node.succeeded',
        {
          attempt: 2,
          durationMs: 40,
          output: 'Hello!',
          usage: { inputTokens: 10, outputTokens: 5 },
          costUsd: 0.01,
          model: 'm',
        },
        a,
      ),
      ev('run.succeeded', { result: { answer: 'Hello!' }, durationMs: 123 }),
    ]);

    const row = store.getRunRow('run_p')!;
    expect(row).toMatchObject({
      status: 'succeeded',
      result: { answer: 'Hello!' },
      durationMs: 123,
      tokens: 15,
      inputTokens: 10,
      outputTokens: 5,
      lastSeq: 14,
    });
    expect(row.costUsd).toBeCloseTo(0.01);
    expect(row.startedAt).not.toBeNull();
    expect(row.finishedAt).not.toBeNull();

    const states = Object.fromEntries(store.nodeStates('run_p').map((n) => [n.nodeId, n]));
    expect(states['in']).toMatchObject({ status: 'succeeded', attempt: 1, output: { q: 1 } });
    expect(states['ask']).toMatchObject({ status: 'succeeded', attempt: 2, output: 'Hello!', error: null, tokens: 15 });

    const attempts = store.nodeAttempts('run_p', 'ask');
    expect(attempts).toHaveLength(2);
    expect(attempts[0]).toMatchObject({ attempt: 1, status: 'failed', error: err, idempotencyKey: 'run_p:ask:1' });
    expect(attempts[0]!.durationMs).toBeGreaterThanOrEqual(0);
    expect(attempts[1]).toMatchObject({
      attempt: 2,
      status: 'succeeded',
      durationMs: 40,
      inputTokens: 10,
      outputTokens: 5,
      model: 'm',
    });

    expect(store.streamedText('run_p', 'ask', 1)).toBe('Hello');
    expect(store.streamedText('run_p', 'ask', 2)).toBe('Hello!');
    expect(store.db.prepare('SELECT count(*) FROM stream_chunks').pluck().get()).toBe(3);
  });

  it('failed runs: error, node failure, duration, compensation', () => {
    store.createRun(newRun('run_f'));
    const a = nid('ask');
    store.append(rid('run_f'), [
      ev('run.started', {}),
      ev('node.started', { attempt: 1, idempotencyKey: 'k' }, a),
      ev(
        'node.failed',
        { attempt: 1, durationMs: 3, error: err, usage: { inputTokens: 4, outputTokens: 0 }, costUsd: 0.5 },
        a,
      ),
      ev('compensation.started', { attempt: 1 }, a),
      ev('compensation.failed', { attempt: 1, error: err, final: true }, a),
      ev('run.failed', { error: err, nodeId: 'ask', compensated: false, compensationFailed: ['ask'] }),
    ]);
    const row = store.getRunRow('run_f')!;
    expect(row).toMatchObject({
      status: 'failed',
      error: err,
      errorNodeId: 'ask',
      compensated: false,
      compensationFailed: ['ask'],
      tokens: 4,
      costUsd: 0.5,
    });
    expect(row.durationMs).toBeGreaterThanOrEqual(0);
    expect(store.nodeStates('run_f')[0]).toMatchObject({
      status: 'failed',
      error: err,
      compensation: 'failed',
      compensationError: err,
    });
    expect(store.nodeAttempts('run_f')[0]).toMatchObject({ status: 'failed', inputTokens: 4, costUsd: 0.5 });
  });

  it('cancel, in-doubt and skipped nodes', () => {
    store.createRun(newRun('run_c'));
    store.append(rid('run_c'), [
      ev('run.started', {}),
      ev('node.started', { attempt: 1, idempotencyKey: 'k' }, nid('ask')),
      ev('node.started', { attempt: 1, idempotencyKey: 'k2' }, nid('in')),
      ev('node.in-doubt', { attempt: 1 }, nid('in')),
      ev('node.cancelled', {}, nid('ask')),
      ev('node.skipped', { reason: 'branch not taken', source: 'cond' }, nid('out')),
      ev('run.cancelled', { compensated: true }),
    ]);
    const s = Object.fromEntries(store.nodeStates('run_c').map((n) => [n.nodeId, n]));
    expect(s['ask']!.status).toBe('cancelled');
    expect(s['in']!.status).toBe('in-doubt');
    expect(s['out']).toMatchObject({ status: 'skipped', detail: { reason: 'branch not taken', source: 'cond' } });
    expect(store.nodeAttempts('run_c', 'ask')[0]!.status).toBe('cancelled');
    expect(store.nodeAttempts('run_c', 'in')[0]!.status).toBe('in-doubt');
    expect(store.getRunRow('run_c')).toMatchObject({ status: 'cancelled', compensated: true });
  });

  it('approvals: open, then granted', () => {
    store.createRun(newRun('run_ap'));
    const n = nid('review');
    store.append(rid('run_ap'), [
      ev('run.started', {}),
      ev('approval.requested', { title: 'OK?', details: 'look' }, n),
      ev('run.waiting', { nodeIds: ['review'] }),
    ]);
    expect(store.getRunRow('run_ap')!.status).toBe('waiting');
    expect(store.nodeStates('run_ap')[0]).toMatchObject({ nodeId: 'review', status: 'waiting' });
    const open = store.openApprovals('run_ap');
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ nodeId: 'review', status: 'open', title: 'OK?', details: 'look', requestedSeq: 3 });
    expect(store.openApprovals().map((a) => a.runId)).toEqual(['run_ap']);

    store.append(rid('run_ap'), [
      ev('approval.granted', { by: 'ann', comment: 'fine', data: { x: 1 } }, n),
      ev('run.resumed', {}),
    ]);
    expect(store.openApprovals('run_ap')).toEqual([]);
    expect(store.approvals('run_ap')[0]).toMatchObject({
      status: 'granted',
      by: 'ann',
      comment: 'fine',
      data: { x: 1 },
    });
    expect(store.getRunRow('run_ap')!.status).toBe('running');
  });

  it('paused, interrupted and reused outputs', () => {
    const run = newRun('run_r');
    run.events = [
      ev('run.created', {
        graphId: 'demo',
        graphHash: run.graphHash,
        input: 1,
        rerunOf: { runId: 'run_old', fromNodeId: 'ask' },
      }),
    ];
    store.createRun(run);
    store.append(rid('run_r'), [
      ev('run.started', {}),
      ev(
        'node.succeeded',
        {
          attempt: 1,
          durationMs: 0,
          output: 'x',
          reusedFrom: 'run_old',
          usage: { inputTokens: 9, outputTokens: 9 },
          costUsd: 1,
        },
        nid('in'),
      ),
      ev('run.paused', { reason: 'budget' }),
    ]);
    expect(store.getRunRow('run_r')).toMatchObject({
      status: 'paused',
      parentRunId: 'run_old',
      rerunFromNode: 'ask',
      tokens: 0,
      costUsd: 0,
    });
    expect(store.nodeStates('run_r')[0]!.detail).toEqual({ reusedFrom: 'run_old' });
    store.append(rid('run_r'), [ev('run.interrupted', { ownerPid: 1 })]);
    expect(store.getRunRow('run_r')!.status).toBe('interrupted');
  });
});

describe('controls', () => {
  it('requestControl / takeControls reads and deletes', () => {
    store.createRun(newRun('run_ctl'));
    expect(store.takeControls(rid('run_ctl'))).toEqual([]);
    store.requestControl('run_ctl', 'pause');
    store.requestControl('run_ctl', 'cancel');
    expect(store.takeControls(rid('run_ctl'))).toEqual([{ kind: 'pause' }, { kind: 'cancel' }]);
    expect(store.takeControls(rid('run_ctl'))).toEqual([]);
    expect(() => store.requestControl('run_none', 'pause')).toThrow(/not found/);
  });
});

describe('graphs', () => {
  it('saveGraph versions by content hash; getGraph returns the latest', () => {
    const g1 = makeGraph('saved');
    const json1 = JSON.stringify(g1);
    const s1 = store.saveGraph(g1, json1);
    expect(s1).toEqual({ graphId: 'saved', version: 1, hash: sha256(json1) });
    expect(store.saveGraph(g1, json1)).toEqual(s1);
    const g2 = makeGraph('saved', { name: 'v2' });
    expect(store.saveGraph(g2, JSON.stringify(g2)).version).toBe(2);
    expect(store.getGraph('saved').name).toBe('v2');
    expect(store.getGraph('saved', 1).name).toBe('Graph saved');
    // Saving v1's content again makes it the latest again, without a new version.
    expect(store.saveGraph(g1, json1).version).toBe(1);
    expect(store.getGraph('saved').name).toBe('Graph saved');
    expect(store.graphVersions('saved').map((v) => v.version)).toEqual([2, 1]);
    expect(store.listGraphs()[0]).toMatchObject({ graphId: 'saved', latestVersion: 1 });
    expect(() => store.getGraph('nope')).toThrow(/graph nope not found/);
  });
});

describe('listRuns', () => {
  it('filters, sorts and pages', () => {
    const mk = (id: string, graph: string, tokens: number, cost: number, status: 'ok' | 'fail' | 'run') => {
      store.createRun(newRun(id, makeGraph(graph)));
      const evs: NewEvent[] = [
        ev('run.started', {}),
        ev(
          'node.succeeded',
          { attempt: 1, durationMs: 1, output: 1, usage: { inputTokens: tokens, outputTokens: 0 }, costUsd: cost },
          nid('ask'),
        ),
      ];
      if (status === 'ok') evs.push(ev('run.succeeded', { result: 1, durationMs: tokens * 10 }));
      if (status === 'fail') evs.push(ev('run.failed', { error: err }));
      store.append(rid(id), evs);
    };
    mk('run_01', 'alpha', 10, 0.3, 'ok');
    mk('run_02', 'beta', 30, 0.1, 'fail');
    mk('run_03', 'alpha', 20, 0.2, 'ok');
    mk('run_04', 'beta', 5, 0.05, 'run');

    expect(store.listRuns().map((r) => r.runId)).toEqual(['run_04', 'run_03', 'run_02', 'run_01']);
    expect(store.listRuns({ status: 'succeeded' }).map((r) => r.runId)).toEqual(['run_03', 'run_01']);
    expect(store.listRuns({ status: ['failed', 'running'] }).map((r) => r.runId)).toEqual(['run_04', 'run_02']);
    expect(store.listRuns({ graphId: 'alpha', order: 'asc' }).map((r) => r.runId)).toEqual(['run_01', 'run_03']);
    expect(store.listRuns({ sort: 'tokens' }).map((r) => r.tokens)).toEqual([30, 20, 10, 5]);
    expect(store.listRuns({ sort: 'cost', order: 'asc' }).map((r) => r.runId)).toEqual([
      'run_04',
      'run_02',
      'run_03',
      'run_01',
    ]);
    expect(store.listRuns({ sort: 'duration', status: 'succeeded' }).map((r) => r.durationMs)).toEqual([200, 100]);
    expect(store.listRuns({ limit: 2, offset: 1 }).map((r) => r.runId)).toEqual(['run_03', 'run_02']);
    expect(store.listRuns({ text: 'beta' }).map((r) => r.runId)).toEqual(['run_04', 'run_02']);
    expect(store.listRuns({ text: '_03' }).map((r) => r.runId)).toEqual(['run_03']);
    expect(store.countRuns({ graphId: 'beta' })).toBe(2);
    expect(store.listRuns({ sort: 'status', order: 'asc' }).map((r) => r.status)).toEqual([
      'failed',
      'running',
      'succeeded',
      'succeeded',
    ]);
    expect(store.listRuns({ sort: 'graph', order: 'asc' }).map((r) => r.runId)).toEqual([
      'run_01',
      'run_03',
      'run_02',
      'run_04',
    ]);
    expect(store.listRuns({ sort: 'cost', status: ['succeeded', 'failed'] }).map((r) => r.costUsd)).toEqual([
      0.3, 0.2, 0.1,
    ]);
    const s = store.listRuns({ status: 'succeeded', limit: 1 })[0]!;
    expect(Object.keys(s).sort()).toEqual(
      [
        'costUsd',
        'createdAt',
        'durationMs',
        'finishedAt',
        'graphId',
        'graphVersion',
        'runId',
        'startedAt',
        'status',
        'tokens',
      ].sort(),
    );
  });

  it('searches inputs, results and errors (trigram index) and filters by date range', () => {
    store.createRun(newRun('run_A1', makeGraph('alpha'), { customer: 'Zanzibar Holdings' }));
    store.append(rid('run_A1'), [
      ev('run.started', {}),
      ev('run.succeeded', { result: { reply: 'Quixotic answer' }, durationMs: 5 }),
    ]);
    store.createRun(newRun('run_B2', makeGraph('beta'), { customer: 'Acme' }));
    store.append(rid('run_B2'), [
      ev('run.started', {}),
      ev('run.failed', { error: { kind: 'provider', message: 'Upstream exploded', retryable: false } }),
    ]);
    store.createRun(newRun('run_C3', makeGraph('beta'), { customer: 'acme corp' }));
    const ids = (o: Parameters<typeof store.listRuns>[0]) => store.listRuns(o).map((r) => r.runId);
    expect(ids({ text: 'zanzibar' })).toEqual(['run_A1']);
    expect(ids({ text: 'QUIXOTIC' })).toEqual(['run_A1']);
    expect(ids({ text: 'exploded' })).toEqual(['run_B2']);
    expect(ids({ text: 'acme', order: 'asc' })).toEqual(['run_B2', 'run_C3']);
    expect(ids({ text: 'acme', status: 'failed' })).toEqual(['run_B2']);
    expect(ids({ text: 'run_C' })).toEqual(['run_C3']);
    expect(ids({ text: 'B2' })).toEqual(['run_B2']); // short text: ids only
    expect(ids({ text: 'say "hi"' })).toEqual([]); // quotes cannot break the query
    expect(store.countRuns({ text: 'acme' })).toBe(2);
    // The index follows updates and deletes of the row.
    store.db.prepare('UPDATE runs SET input = \'{"customer":"Umbrella"}\' WHERE run_id = \'run_C3\'').run();
    expect(ids({ text: 'acme' })).toEqual(['run_B2']);
    expect(ids({ text: 'umbrella' })).toEqual(['run_C3']);
    // Dates: created_at >= from and < to.
    const set = store.db.prepare('UPDATE runs SET created_at = ? WHERE run_id = ?');
    set.run('2026-01-01T10:00:00.000Z', 'run_A1');
    set.run('2026-01-02T10:00:00.000Z', 'run_B2');
    set.run('2026-01-03T10:00:00.000Z', 'run_C3');
    expect(ids({ from: '2026-01-02T00:00:00Z' })).toEqual(['run_C3', 'run_B2']);
    expect(ids({ to: '2026-01-02T10:00:00.000Z' })).toEqual(['run_A1']);
    expect(ids({ from: '2026-01-01T12:00:00+02:00', to: '2026-01-03T00:00:00Z', graphId: 'beta' })).toEqual(['run_B2']);
    expect(store.countRuns({ from: '2026-01-02T00:00:00Z', status: 'failed' })).toBe(1);
    expect(() => store.listRuns({ from: 'yesterday' })).toThrow(/from: not a date/);
  });

  it('uses an index for every dashboard query', () => {
    const plans: Record<string, string> = {
      dates:
        "SELECT run_id FROM runs WHERE created_at >= '2026' AND created_at < '2027' ORDER BY created_at DESC LIMIT 50",
      statusDates:
        "SELECT run_id FROM runs WHERE status = 'failed' AND created_at >= '2026' ORDER BY created_at DESC LIMIT 50",
      graphDates:
        "SELECT run_id FROM runs WHERE graph_id = 'g' AND created_at < '2027' ORDER BY created_at DESC LIMIT 50",
      countStatus: "SELECT count(*) FROM runs WHERE status = 'failed'",
      statusCost: "SELECT run_id FROM runs WHERE status IN ('failed', 'waiting') ORDER BY cost_usd DESC LIMIT 50",
      status: "SELECT run_id FROM runs WHERE status = 'running' ORDER BY created_at DESC LIMIT 50",
      graph: "SELECT run_id FROM runs WHERE graph_id = 'g' ORDER BY created_at DESC LIMIT 50",
      created: 'SELECT run_id FROM runs ORDER BY created_at DESC LIMIT 50',
      started: 'SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 50',
      cost: 'SELECT run_id FROM runs ORDER BY cost_usd DESC LIMIT 50',
      tokens: 'SELECT run_id FROM runs ORDER BY tokens DESC LIMIT 50',
      duration: 'SELECT run_id FROM runs ORDER BY duration_ms DESC LIMIT 50',
      byStatus: 'SELECT run_id FROM runs ORDER BY status DESC, created_at DESC LIMIT 50',
      byGraph: 'SELECT run_id FROM runs ORDER BY graph_id ASC, created_at ASC LIMIT 50',
    };
    const planOf = (sql: string, ...params: unknown[]) =>
      (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[])
        .map((r) => r.detail)
        .join(' | ');
    for (const [name, sql] of Object.entries(plans)) {
      const plan = planOf(sql);
      expect(plan, name).toMatch(/USING (COVERING )?INDEX runs_/);
      if (name !== 'statusCost') expect(plan, name).not.toMatch(/TEMP B-TREE/);
    }
    // Free text: the trigram FTS index, then the runs rows by rowid (no scan of runs).
    const text = planOf(
      "SELECT run_id FROM runs WHERE status = 'failed' AND rowid IN (SELECT rowid FROM runs_search WHERE runs_search MATCH ?) ORDER BY created_at DESC LIMIT 50",
      '"acme"',
    );
    expect(text).toMatch(/runs_search VIRTUAL TABLE INDEX \d+:M/);
    expect(text).toMatch(/SEARCH runs USING (INTEGER PRIMARY KEY|INDEX runs_status)/);
    expect(text).not.toMatch(/SCAN runs( |$)/);
    const only = planOf(
      'SELECT count(*) FROM runs WHERE rowid IN (SELECT rowid FROM runs_search WHERE runs_search MATCH ?)',
      '"acme"',
    );
    expect(only).toMatch(/runs_search VIRTUAL TABLE INDEX \d+:M/);
    expect(only).not.toMatch(/SCAN runs( |$)/);
  });
});
