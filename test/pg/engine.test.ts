/**
 * The engine on PostgreSQL end to end: StatepipeService over a PostgreSQL database runs the
 * document pipeline, an approval decided from another process, a cancel requested from another
 * process (LISTEN/NOTIFY), and `serve` shows a run driven by another process live.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { cliEntry, fastGraph, tmpDir } from '../../src/cli/cli-test-kit.js';
import type { Graph } from '../../src/core/graph/schema.js';
import { StatepipeService } from '../../src/host/service.js';
import { startServer } from '../../src/server/index.js';
import { testDatabase } from './db.js';

const example = (name: string): Graph =>
  JSON.parse(readFileSync(new URL(`../../examples/${name}.json`, import.meta.url), 'utf8')) as Graph;
const fast = (name: string): Graph => JSON.parse(readFileSync(fastGraph(name, tmpDir()), 'utf8')) as Graph;

let url: string;
let svc: StatepipeService;
let other: StatepipeService; // another process on the same database (its own connections and lease owner)
beforeAll(async () => {
  url = await testDatabase();
  svc = await StatepipeService.open({ dbPath: url });
  other = await StatepipeService.open({ dbPath: url });
});
afterAll(async () => {
  await other?.close();
  await svc?.close();
});

describe('the engine on PostgreSQL', () => {
  it('runs examples/document-pipeline.json to its result, with the projections of the SQLite store', async () => {
    expect(svc.store.kind).toBe('postgres');
    const out = await svc.startRun(example('document-pipeline'), {
      text: 'Alice leads ProjectX in Berlin and the team is happy with it',
    });
    expect(out.status).toBe('succeeded');
    const result = (out.result as { result: Record<string, unknown> }).result;
    expect(result['entities']).toEqual(['Alice', 'ProjectX', 'Berlin']);
    expect(result['sentiment']).toBe('positive');
    const events = await svc.events(out.runId);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
    const row = (await svc.store.getRunRow(out.runId))!;
    expect(row).toMatchObject({ status: 'succeeded', lastSeq: events.length, graphId: 'document-pipeline' });
    expect(row.tokens).toBeGreaterThan(0);
    const detail = await svc.inspect(out.runId);
    expect(detail.status).toBe('succeeded');
    const states = await svc.store.nodeStates(out.runId);
    expect(states.every((n) => n.status === 'succeeded')).toBe(true);
    expect(await svc.store.streamedText(out.runId, 'summary')).toContain('Alice');
    expect((await svc.replay(out.runId)).matches).toBe(true);
  });

  it('waits at an approval; another process approves and drives it to the end', async () => {
    const out = await svc.startRun(fast('vendor-onboarding'), { vendor: 'Acme', country: 'DE' });
    expect(out.status).toBe('waiting');
    expect((await other.store.openApprovals(out.runId)).map((a) => a.nodeId)).toEqual(['approval']);
    const done = await other.approve(out.runId, 'approval', { approved: true, by: 'ann', comment: 'ok' });
    expect(done.status).toBe('succeeded');
    expect((done.result as { result: { approvedBy: string } }).result.approvedBy).toBe('ann');
    expect((await svc.store.approvals(out.runId))[0]).toMatchObject({ status: 'granted', by: 'ann', comment: 'ok' });
  });

  it('a cancel requested by another process reaches the driving one at once (its delay is cut short)', async () => {
    const graph: Graph = {
      format: 'statepipe.graph',
      version: 1,
      id: 'slow',
      nodes: [
        { id: 'in', type: 'input', config: {} },
        { id: 'wait', type: 'delay', config: { ms: 60_000 } },
      ],
      edges: [{ id: 'e', source: 'in', target: 'wait' }],
    };
    const runId = await svc.createRun(graph, {});
    const started = new Promise<void>((resolve) => {
      const stop = svc.subscribe((events) => {
        if (events.some((e) => e.type === 'node.started' && e.nodeId === 'wait')) {
          stop();
          resolve();
        }
      });
    });
    const driving = svc.drive(runId);
    await started;
    const t0 = performance.now();
    // Answered once the driving process has carried it out (not only left for it).
    expect(await other.cancel(runId)).toEqual({ runId, status: 'cancelled' });
    const out = await driving;
    expect(out.status).toBe('cancelled');
    expect(performance.now() - t0).toBeLessThan(1_000);
  });
});

describe('serve on PostgreSQL', () => {
  it('shows a run driven by another process live: every event, within ~250 ms of its commit', async () => {
    const server = await startServer({ dbPath: url, port: 0 });
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    try {
      const arrivals: { seqs: number[]; type: string; lateMs: number; runId: string }[] = [];
      const finished = new Promise<void>((resolve) => {
        ws.on('message', (raw) => {
          const msg = JSON.parse(String(raw)) as {
            kind: string;
            events?: { seq: number; type: string; ts: string; runId: string; data: { mergedSeqs?: number[] } }[];
          };
          if (msg.kind !== 'events') return;
          for (const e of msg.events!) {
            arrivals.push({
              seqs: e.data.mergedSeqs ?? [e.seq],
              type: e.type,
              runId: e.runId,
              lateMs: Date.now() - Date.parse(e.ts),
            });
            if (e.type === 'run.succeeded') resolve();
          }
        });
      });
      // Another process drives the run: the CLI, on the same database.
      const graphFile = fastGraph('document-pipeline', tmpDir());
      const child = spawn(
        process.execPath,
        [
          ...(await cliEntry()),
          'run',
          graphFile,
          '--input',
          JSON.stringify({ text: 'Alice met Bob in Berlin' }),
          '--db',
          url,
        ],
        { stdio: 'ignore' },
      );
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      await finished;
      expect(await exited).toBe(0);
      const runId = arrivals[0]!.runId;
      const stored = await server.service.events(runId);
      const seen = arrivals.flatMap((a) => a.seqs).sort((a, b) => a - b);
      expect(seen).toEqual(stored.map((e) => e.seq));
      const late = arrivals.map((a) => a.lateMs).sort((a, b) => a - b);
      expect(late[Math.floor(late.length * 0.9)]!).toBeLessThan(250);
      expect(server.service.store.displayName).toBe(url);
    } finally {
      ws.close();
      await server.close();
    }
  });
});
