/**
 * The store contract: the same tests for every Store (SQLite, PostgreSQL), so both keep the
 * engine's promises: gapless seqs, fenced appends, leases, controls, idempotency keys,
 * projections, dashboard queries, graphs.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../core/errors.js';
import { ev, type NewEvent, type RunEvent } from '../../core/events.js';
import { sha256 } from './sqlite-store.js';
import { childRunsContract } from './store-contract-children.js';
import type { Store } from './store.js';
import { leaseWriter, logEvents, makeGraph, newRun, nid, rid } from './test-helpers.js';

/** Raw SQL on the store's database, for what only a test does (`?` placeholders). */
export type RawSql = (store: Store, sql: string, ...params: unknown[]) => Promise<Record<string, unknown>[]>;

export function storeContract(label: string, open: () => Promise<Store>, sql: RawSql): void {
  let store: Store;
  /** Appends as the one writer of the run: its lease, after the run's last seq. */
  let put: (runId: string, events: NewEvent[]) => Promise<RunEvent[]>;
  beforeEach(async () => {
    store = await open();
    put = leaseWriter(store);
  });
  afterEach(async () => {
    await store.close();
  });

  describe(`${label}: the store contract`, () => {
    childRunsContract({ store: () => store, put: (runId, events) => put(runId, events) });
    const err = { kind: 'network' as const, message: 'boom', retryable: true };

    describe('createRun / append / loadRun', () => {
      it('creates a run with its graph snapshot and first events', async () => {
        const run = newRun('run_1', makeGraph('g1'), { vendor: 'acme' });
        const committed = await store.createRun(run);
        expect(committed).toHaveLength(1);
        expect(committed[0]).toMatchObject({ seq: 1, runId: 'run_1', type: 'run.created' });
        expect(new Date(committed[0]!.ts).toISOString()).toBe(committed[0]!.ts);
        const row = (await store.getRunRow('run_1'))!;
        expect(row).toMatchObject({
          status: 'queued',
          graphId: 'g1',
          graphVersion: 1,
          input: { vendor: 'acme' },
          lastSeq: 1,
        });
        expect(row.graphHash).toBe(run.graphHash);
        const loaded = await store.loadRun(rid('run_1'));
        expect(loaded.graph).toEqual(run.graph);
        expect(loaded.events).toEqual(committed);
      });

      it('reuses the graph version for identical content, adds one for new content', async () => {
        await store.createRun(newRun('run_a', makeGraph('g')));
        await store.createRun(newRun('run_b', makeGraph('g')));
        await store.createRun(newRun('run_c', makeGraph('g', { description: 'changed' })));
        expect((await store.getRunRow('run_a'))!.graphVersion).toBe(1);
        expect((await store.getRunRow('run_b'))!.graphVersion).toBe(1);
        expect((await store.getRunRow('run_c'))!.graphVersion).toBe(2);
        // A run's snapshot is not a saved version: the graph's latest stays the one it had.
        expect((await store.getGraph('g')).description).toBeUndefined();
        expect((await store.getGraph('g', 2)).description).toBe('changed');
        expect(await store.graphVersionOf('g', 2)).toEqual({ version: 2, saved: false });
        expect(await store.listGraphs()).toEqual([]);
        expect((await store.listGraphs({ includeDrafts: true })).map((g) => g.graphId)).toEqual(['g']);
        // An existing run keeps its own snapshot.
        expect((await store.loadRun(rid('run_a'))).graph.description).toBeUndefined();
      });

      it('refuses a duplicate run id and unknown runs', async () => {
        await store.createRun(newRun('run_dup'));
        await expect(store.createRun(newRun('run_dup'))).rejects.toThrow(/already exists/);
        const check = async (p: Promise<unknown>) => {
          try {
            await p;
            throw new Error('expected throw');
          } catch (e) {
            expect(e).toBeInstanceOf(AppError);
            expect((e as AppError).code).toBe('not-found');
            expect((e as AppError).message).toBe('run run_nope not found');
          }
        };
        await check(store.loadRun(rid('run_nope')));
        await check(put('run_nope', logEvents(1)));
        expect(await store.getRunRow('run_nope')).toBeUndefined();
      });

      it('assigns gapless seqs across many appends', async () => {
        await store.createRun(newRun('run_seq'));
        let expected = 2;
        for (let i = 0; i < 200; i++) {
          const batch = await put('run_seq', logEvents((i % 4) + 1));
          for (const e of batch) expect(e.seq).toBe(expected++);
        }
        const { events } = await store.loadRun(rid('run_seq'));
        expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
        expect((await store.getRunRow('run_seq'))!.lastSeq).toBe(events.length);
        expect((await store.eventsSince('run_seq', 10, 5)).map((e) => e.seq)).toEqual([11, 12, 13, 14, 15]);
      });

      it('append is atomic: one unserializable event rolls back the whole batch', async () => {
        await store.createRun(newRun('run_atomic'));
        await put('run_atomic', [ev('run.started', {})]);
        const bad: NewEvent[] = [
          ev('node.queued', {}, nid('ask')),
          ev('node.started', { attempt: 1, idempotencyKey: 'k' }, nid('ask')),
          ev(
            'node.succeeded',
            { attempt: 1, durationMs: 5, output: { n: 10n }, usage: { inputTokens: 1, outputTokens: 2 } },
            nid('ask'),
          ),
        ];
        await expect(put('run_atomic', bad)).rejects.toThrow();
        const row = (await store.getRunRow('run_atomic'))!;
        expect(row.lastSeq).toBe(2);
        expect(row.tokens).toBe(0);
        expect((await store.loadRun(rid('run_atomic'))).events).toHaveLength(2);
        expect(await store.nodeStates('run_atomic')).toEqual([]);
        expect(await store.nodeAttempts('run_atomic')).toEqual([]);
        // The next append continues without a gap.
        expect((await put('run_atomic', logEvents(1)))[0]!.seq).toBe(3);
      });
    });

    describe('projections', () => {
      it('follows a typical run', async () => {
        await store.createRun(newRun('run_p'));
        const a = nid('ask');
        const i = nid('in');
        await put('run_p', [
          ev('run.started', {}),
          ev('node.queued', {}, i),
          ev('node.started', { attempt: 1, idempotencyKey: 'run_p:in:1' }, i),
        ]);
        await put('run_p', [
          ev('node.succeeded', { attempt: 1, durationMs: 1, output: { q: 1 } }, i),
          ev('node.queued', {}, a),
        ]);
        await put('run_p', [ev('node.started', { attempt: 1, idempotencyKey: 'run_p:ask:1' }, a)]);
        expect((await store.nodeStates('run_p')).find((n) => n.nodeId === 'ask')?.status).toBe('running');
        expect((await store.getRunRow('run_p'))!.status).toBe('running');
        await put('run_p', [ev('node.tokens', { attempt: 1, text: 'Hel' }, a)]);
        await put('run_p', [ev('node.tokens', { attempt: 1, text: 'lo' }, a)]);
        await put('run_p', [ev('node.retrying', { attempt: 1, delayMs: 10, error: err }, a)]);
        expect((await store.nodeStates('run_p')).find((n) => n.nodeId === 'ask')).toMatchObject({
          status: 'retrying',
          error: err,
        });
        await put('run_p', [
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

        const row = (await store.getRunRow('run_p'))!;
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

        const states = Object.fromEntries((await store.nodeStates('run_p')).map((n) => [n.nodeId, n]));
        expect(states['in']).toMatchObject({ status: 'succeeded', attempt: 1, output: { q: 1 } });
        expect(states['ask']).toMatchObject({
          status: 'succeeded',
          attempt: 2,
          output: 'Hello!',
          error: null,
          tokens: 15,
        });

        const attempts = await store.nodeAttempts('run_p', 'ask');
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

        expect(await store.streamedText('run_p', 'ask', 1)).toBe('Hello');
        expect(await store.streamedText('run_p', 'ask', 2)).toBe('Hello!');
        expect(Number((await sql(store, 'SELECT count(*) AS n FROM stream_chunks'))[0]!['n'])).toBe(3);
      });

      it('failed runs: error, node failure, duration, compensation', async () => {
        await store.createRun(newRun('run_f'));
        const a = nid('ask');
        await put('run_f', [
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
        const row = (await store.getRunRow('run_f'))!;
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
        expect((await store.nodeStates('run_f'))[0]).toMatchObject({
          status: 'failed',
          error: err,
          compensation: 'failed',
          compensationError: err,
        });
        expect((await store.nodeAttempts('run_f'))[0]).toMatchObject({
          status: 'failed',
          inputTokens: 4,
          costUsd: 0.5,
        });
      });

      it('a failed run whose node is retried runs again: its end and error are cleared', async () => {
        await store.createRun(newRun('run_r'));
        const a = nid('ask');
        await put('run_r', [
          ev('run.started', {}),
          ev('node.started', { attempt: 1, idempotencyKey: 'k' }, a),
          ev('node.failed', { attempt: 1, durationMs: 3, error: err }, a),
          ev('run.failed', { error: err, nodeId: 'ask' }),
        ]);
        expect(await store.getRunRow('run_r')).toMatchObject({ status: 'failed', error: err, errorNodeId: 'ask' });
        await put('run_r', [ev('run.retried', { nodeId: 'ask' })]);
        expect(await store.getRunRow('run_r')).toMatchObject({
          status: 'running',
          error: null,
          errorNodeId: null,
          finishedAt: null,
          durationMs: null,
        });
      });

      it('cancel, in-doubt and skipped nodes', async () => {
        await store.createRun(newRun('run_c'));
        await put('run_c', [
          ev('run.started', {}),
          ev('node.started', { attempt: 1, idempotencyKey: 'k' }, nid('ask')),
          ev('node.started', { attempt: 1, idempotencyKey: 'k2' }, nid('in')),
          ev('node.in-doubt', { attempt: 1 }, nid('in')),
          ev('node.cancelled', {}, nid('ask')),
          ev('node.skipped', { reason: 'branch not taken', source: 'cond' }, nid('out')),
          ev('run.cancelled', { compensated: true }),
        ]);
        const s = Object.fromEntries((await store.nodeStates('run_c')).map((n) => [n.nodeId, n]));
        expect(s['ask']!.status).toBe('cancelled');
        expect(s['in']!.status).toBe('in-doubt');
        expect(s['out']).toMatchObject({ status: 'skipped', detail: { reason: 'branch not taken', source: 'cond' } });
        expect((await store.nodeAttempts('run_c', 'ask'))[0]!.status).toBe('cancelled');
        expect((await store.nodeAttempts('run_c', 'in'))[0]!.status).toBe('in-doubt');
        expect(await store.getRunRow('run_c')).toMatchObject({ status: 'cancelled', compensated: true });
      });

      it('approvals: open, then granted', async () => {
        await store.createRun(newRun('run_ap'));
        const n = nid('review');
        await put('run_ap', [
          ev('run.started', {}),
          ev('approval.requested', { title: 'OK?', details: 'look' }, n),
          ev('run.waiting', { nodeIds: ['review'] }),
        ]);
        expect((await store.getRunRow('run_ap'))!.status).toBe('waiting');
        expect((await store.nodeStates('run_ap'))[0]).toMatchObject({ nodeId: 'review', status: 'waiting' });
        const open = await store.openApprovals('run_ap');
        expect(open).toHaveLength(1);
        expect(open[0]).toMatchObject({
          nodeId: 'review',
          status: 'open',
          title: 'OK?',
          details: 'look',
          requestedSeq: 3,
        });
        expect((await store.openApprovals()).map((a) => a.runId)).toEqual(['run_ap']);

        await put('run_ap', [
          ev('approval.granted', { by: 'ann', comment: 'fine', data: { x: 1 } }, n),
          ev('run.resumed', {}),
        ]);
        expect(await store.openApprovals('run_ap')).toEqual([]);
        expect((await store.approvals('run_ap'))[0]).toMatchObject({
          status: 'granted',
          by: 'ann',
          comment: 'fine',
          data: { x: 1 },
        });
        expect((await store.getRunRow('run_ap'))!.status).toBe('running');
      });

      it('paused, interrupted and reused outputs', async () => {
        const run = newRun('run_r');
        run.events = [
          ev('run.created', {
            graphId: 'demo',
            graphHash: run.graphHash,
            input: 1,
            rerunOf: { runId: 'run_old', fromNodeId: 'ask' },
          }),
        ];
        await store.createRun(run);
        await put('run_r', [
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
        expect(await store.getRunRow('run_r')).toMatchObject({
          status: 'paused',
          rerunOf: 'run_old',
          parentRunId: null,
          rerunFromNode: 'ask',
          tokens: 0,
          costUsd: 0,
        });
        expect((await store.nodeStates('run_r'))[0]!.detail).toEqual({ reusedFrom: 'run_old' });
        await put('run_r', [ev('run.interrupted', { ownerPid: 1 })]);
        expect((await store.getRunRow('run_r'))!.status).toBe('interrupted');
      });
    });

    describe('leases and fences', () => {
      it('a live owner keeps the run; the same owner takes it again with a new epoch; release frees it', async () => {
        await store.createRun(newRun('run_l'));
        const a = (await store.acquireLease(rid('run_l'), { id: 'a' }))!;
        expect(a.epoch).toBeGreaterThan(0);
        expect(a.released).toBeUndefined(); // never held before
        expect(await store.acquireLease(rid('run_l'), { id: 'b' })).toBeUndefined();
        const again = (await store.acquireLease(rid('run_l'), { id: 'a' }))!;
        expect(again.epoch).toBe(a.epoch + 1);
        expect(again.released).toBeUndefined(); // held, not released
        await store.releaseLease(rid('run_l'), again);
        const b = (await store.acquireLease(rid('run_l'), { id: 'b' }))!;
        expect(b.epoch).toBe(again.epoch + 1);
        expect(b.released).toBe(true); // its last holder let it go (it did not die holding it)
        await expect(store.acquireLease(rid('run_none'), { id: 'a' })).rejects.toThrow(/not found/);
      });

      it('an append is refused, writing nothing, unless it holds the current epoch and follows the last seq', async () => {
        await store.createRun(newRun('run_fence'));
        const old = (await store.acquireLease(rid('run_fence'), { id: 'old' }))!;
        expect(await store.append(rid('run_fence'), logEvents(1), { epoch: old.epoch, afterSeq: 1 })).toHaveLength(1);
        // A second writer that thinks it follows seq 1: refused, nothing written.
        const stale = store.append(rid('run_fence'), logEvents(2), { epoch: old.epoch, afterSeq: 1 });
        await expect(stale).rejects.toMatchObject({ code: 'fenced' });
        expect((await store.getRunRow('run_fence'))!.lastSeq).toBe(2);
        // Another process takes the run over (release then acquire: a new epoch).
        await store.releaseLease(rid('run_fence'), old);
        const next = (await store.acquireLease(rid('run_fence'), { id: 'new' }))!;
        const fenced = store.append(rid('run_fence'), logEvents(1), { epoch: old.epoch, afterSeq: 2 });
        await expect(fenced).rejects.toMatchObject({ code: 'fenced' });
        await expect(store.renewLease(rid('run_fence'), old)).rejects.toMatchObject({ code: 'fenced' });
        // Releasing an old lease does not free the new owner's.
        await store.releaseLease(rid('run_fence'), old);
        expect(await store.acquireLease(rid('run_fence'), { id: 'third' })).toBeUndefined();
        const ok = await store.append(rid('run_fence'), logEvents(1), { epoch: next.epoch, afterSeq: 2 });
        expect(ok.map((e) => e.seq)).toEqual([3]);
        await store.renewLease(rid('run_fence'), next);
        expect((await store.loadRun(rid('run_fence'))).events.map((e) => e.seq)).toEqual([1, 2, 3]);
      });
    });

    describe('idempotency keys', () => {
      it('a key starts one run; the same key again names that run and creates nothing', async () => {
        await store.createRun({ ...newRun('run_k1'), idempotencyKey: { key: 'order-42', requestHash: 'h1' } });
        const again = store.createRun({ ...newRun('run_k2'), idempotencyKey: { key: 'order-42', requestHash: 'h1' } });
        await expect(again).rejects.toMatchObject({
          name: 'KeyTakenError',
          runId: 'run_k1',
          key: 'order-42',
          requestHash: 'h1',
        });
        expect(await store.getRunRow('run_k2')).toBeUndefined();
        await store.createRun({ ...newRun('run_k3'), idempotencyKey: { key: 'order-43' } });
        expect((await store.listRuns()).map((r) => r.runId).sort()).toEqual(['run_k1', 'run_k3']);
      });
    });

    describe('controls', () => {
      it('requestControl / takeControls reads and deletes', async () => {
        await store.createRun(newRun('run_ctl'));
        expect(await store.takeControls(rid('run_ctl'))).toEqual([]);
        await store.requestControl(rid('run_ctl'), 'pause');
        await store.requestControl(rid('run_ctl'), 'cancel');
        await store.requestControl(rid('run_ctl'), 'resume');
        expect(await store.takeControls(rid('run_ctl'))).toEqual([
          { kind: 'pause' },
          { kind: 'cancel' },
          { kind: 'resume' },
        ]);
        expect(await store.takeControls(rid('run_ctl'))).toEqual([]);
        await expect(store.requestControl(rid('run_none'), 'pause')).rejects.toThrow(/not found/);
      });

      it('a run that has ended takes no control: refused, nothing left for a later drive to find', async () => {
        await store.createRun(newRun('run_ended'));
        await put('run_ended', [ev('run.started', {}), ev('run.succeeded', { result: {}, durationMs: 1 })]);
        await expect(store.requestControl(rid('run_ended'), 'cancel')).rejects.toMatchObject({
          code: 'illegal-transition',
          message: 'run run_ended is succeeded and cannot be cancelled',
        });
        await expect(store.requestControl(rid('run_ended'), 'pause')).rejects.toThrow(/cannot be paused/);
        expect(await store.takeControls(rid('run_ended'))).toEqual([]);
      });
    });

    describe('graphs', () => {
      it('saveGraph versions by content hash; getGraph returns the latest', async () => {
        const g1 = makeGraph('saved');
        const json1 = JSON.stringify(g1);
        const s1 = await store.saveGraph(g1, json1);
        expect(s1).toEqual({ graphId: 'saved', version: 1, hash: sha256(json1) });
        expect(await store.saveGraph(g1, json1)).toEqual(s1);
        const g2 = makeGraph('saved', { name: 'v2' });
        expect((await store.saveGraph(g2, JSON.stringify(g2))).version).toBe(2);
        expect((await store.getGraph('saved')).name).toBe('v2');
        expect((await store.getGraph('saved', 1)).name).toBe('Graph saved');
        // Saving v1's content again makes it the latest again, without a new version.
        expect((await store.saveGraph(g1, json1)).version).toBe(1);
        expect((await store.getGraph('saved')).name).toBe('Graph saved');
        expect((await store.graphVersions('saved')).map((v) => v.version)).toEqual([2, 1]);
        expect((await store.listGraphs())[0]).toMatchObject({ graphId: 'saved', latestVersion: 1 });
        await expect(store.getGraph('nope')).rejects.toThrow(/graph nope not found/);
      });

      it('a draft run adds a version that is not saved until its content is; versions say their name, nodes and runs', async () => {
        const g1 = makeGraph('hist');
        await store.saveGraph(g1, JSON.stringify(g1));
        const draft = makeGraph('hist', { name: 'draft' });
        await store.createRun(newRun('run_h1', draft));
        expect(await store.graphVersionOf('hist', 2)).toEqual({ version: 2, saved: false });
        expect(await store.graphVersionOf('hist')).toEqual({ version: 1, saved: true });
        expect((await store.graphVersions('hist')).map((v) => v.version)).toEqual([1]);
        await store.createRun(newRun('run_h2', g1));
        expect((await store.graphVersions('hist'))[0]).toMatchObject({
          version: 1,
          name: 'Graph hist',
          nodes: 2,
          runs: 1,
        });
        // Lists say which runs ran a version that is not saved (a draft).
        const drafts = async () =>
          Object.fromEntries((await store.listRuns({ graphId: 'hist' })).map((r) => [r.runId, r.draft ?? false]));
        expect(await drafts()).toEqual({ run_h1: true, run_h2: false });
        // Saving the draft's content makes that version a saved one, and the latest.
        expect((await store.saveGraph(draft, JSON.stringify(draft))).version).toBe(2);
        expect(await store.graphVersionOf('hist')).toEqual({ version: 2, saved: true });
        expect(await drafts()).toEqual({ run_h1: false, run_h2: false });
        const versions = await store.graphVersions('hist');
        expect(versions.map((v) => [v.version, v.name, v.runs])).toEqual([
          [2, 'draft', 1],
          [1, 'Graph hist', 1],
        ]);
        expect(new Date(versions[0]!.createdAt).toISOString()).toBe(versions[0]!.createdAt);
        expect(await store.graphVersionOf('nope')).toBeNull();
      });
    });

    describe('listRuns', () => {
      it('filters, sorts and pages', async () => {
        const mk = async (id: string, graph: string, tokens: number, cost: number, status: 'ok' | 'fail' | 'run') => {
          await store.createRun(newRun(id, makeGraph(graph)));
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
          await put(id, evs);
        };
        await mk('run_01', 'alpha', 10, 0.3, 'ok');
        await mk('run_02', 'beta', 30, 0.1, 'fail');
        await mk('run_03', 'alpha', 20, 0.2, 'ok');
        await mk('run_04', 'beta', 5, 0.05, 'run');

        expect((await store.listRuns()).map((r) => r.runId)).toEqual(['run_04', 'run_03', 'run_02', 'run_01']);
        expect((await store.listRuns({ status: 'succeeded' })).map((r) => r.runId)).toEqual(['run_03', 'run_01']);
        expect((await store.listRuns({ status: ['failed', 'running'] })).map((r) => r.runId)).toEqual([
          'run_04',
          'run_02',
        ]);
        expect((await store.listRuns({ graphId: 'alpha', order: 'asc' })).map((r) => r.runId)).toEqual([
          'run_01',
          'run_03',
        ]);
        expect((await store.listRuns({ sort: 'tokens' })).map((r) => r.tokens)).toEqual([30, 20, 10, 5]);
        expect((await store.listRuns({ sort: 'cost', order: 'asc' })).map((r) => r.runId)).toEqual([
          'run_04',
          'run_02',
          'run_03',
          'run_01',
        ]);
        expect((await store.listRuns({ sort: 'duration', status: 'succeeded' })).map((r) => r.durationMs)).toEqual([
          200, 100,
        ]);
        expect((await store.listRuns({ limit: 2, offset: 1 })).map((r) => r.runId)).toEqual(['run_03', 'run_02']);
        expect((await store.listRuns({ text: 'beta' })).map((r) => r.runId)).toEqual(['run_04', 'run_02']);
        expect((await store.listRuns({ text: '_03' })).map((r) => r.runId)).toEqual(['run_03']);
        expect(await store.countRuns({ graphId: 'beta' })).toBe(2);
        expect((await store.listRuns({ sort: 'status', order: 'asc' })).map((r) => r.status)).toEqual([
          'failed',
          'running',
          'succeeded',
          'succeeded',
        ]);
        expect((await store.listRuns({ sort: 'graph', order: 'asc' })).map((r) => r.runId)).toEqual([
          'run_01',
          'run_03',
          'run_02',
          'run_04',
        ]);
        expect((await store.listRuns({ sort: 'cost', status: ['succeeded', 'failed'] })).map((r) => r.costUsd)).toEqual(
          [0.3, 0.2, 0.1],
        );
        const s = (await store.listRuns({ status: 'succeeded', limit: 1 }))[0]!;
        // Its graph was never saved (createRun alone): `draft` says so.
        expect(s.draft).toBe(true);
        expect(Object.keys(s).sort()).toEqual(
          [
            'costUsd',
            'createdAt',
            'draft',
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

      it('searches inputs, results and errors (trigram index) and filters by date range', async () => {
        await store.createRun(newRun('run_A1', makeGraph('alpha'), { customer: 'Zanzibar Holdings' }));
        await put('run_A1', [
          ev('run.started', {}),
          ev('run.succeeded', { result: { reply: 'Quixotic answer' }, durationMs: 5 }),
        ]);
        await store.createRun(newRun('run_B2', makeGraph('beta'), { customer: 'Acme' }));
        await put('run_B2', [
          ev('run.started', {}),
          ev('run.failed', { error: { kind: 'provider', message: 'Upstream exploded', retryable: false } }),
        ]);
        await store.createRun(newRun('run_C3', makeGraph('beta'), { customer: 'acme corp' }));
        const ids = async (o: Parameters<typeof store.listRuns>[0]) => (await store.listRuns(o)).map((r) => r.runId);
        expect(await ids({ text: 'zanzibar' })).toEqual(['run_A1']);
        expect(await ids({ text: 'QUIXOTIC' })).toEqual(['run_A1']);
        expect(await ids({ text: 'exploded' })).toEqual(['run_B2']);
        expect(await ids({ text: 'acme', order: 'asc' })).toEqual(['run_B2', 'run_C3']);
        expect(await ids({ text: 'acme', status: 'failed' })).toEqual(['run_B2']);
        expect(await ids({ text: 'run_C' })).toEqual(['run_C3']);
        expect(await ids({ text: 'B2' })).toEqual(['run_B2']); // short text: ids only
        expect(await ids({ text: 'say "hi"' })).toEqual([]); // quotes cannot break the query
        expect(await store.countRuns({ text: 'acme' })).toBe(2);
        // The index follows updates and deletes of the row.
        await sql(store, 'UPDATE runs SET input = ? WHERE run_id = ?', '{"customer":"Umbrella"}', 'run_C3');
        expect(await ids({ text: 'acme' })).toEqual(['run_B2']);
        expect(await ids({ text: 'umbrella' })).toEqual(['run_C3']);
        // Dates: created_at >= from and < to.
        const set = 'UPDATE runs SET created_at = ? WHERE run_id = ?';
        await sql(store, set, '2026-01-01T10:00:00.000Z', 'run_A1');
        await sql(store, set, '2026-01-02T10:00:00.000Z', 'run_B2');
        await sql(store, set, '2026-01-03T10:00:00.000Z', 'run_C3');
        expect(await ids({ from: '2026-01-02T00:00:00Z' })).toEqual(['run_C3', 'run_B2']);
        expect(await ids({ to: '2026-01-02T10:00:00.000Z' })).toEqual(['run_A1']);
        expect(await ids({ from: '2026-01-01T12:00:00+02:00', to: '2026-01-03T00:00:00Z', graphId: 'beta' })).toEqual([
          'run_B2',
        ]);
        expect(await store.countRuns({ from: '2026-01-02T00:00:00Z', status: 'failed' })).toBe(1);
        await expect(store.listRuns({ from: 'yesterday' })).rejects.toThrow(/from: not a date/);
      });
    });
  });
}
