/**
 * A chain of effectful nodes costs one store transaction per node: a node's end, the queueing of
 * the node it makes ready and that node's start share one append, and that append is committed
 * before the next node's runner (its effect) begins, unless the node only reads (a GET: it may
 * begin while the append is written). Real SQLite file, real clock, real HTTP server on 127.0.0.1
 * for the `http` chains.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { realClock } from '../src/core/engine/clock.js';
import { Engine } from '../src/core/engine/engine.js';
import type { NewEvent } from '../src/core/events.js';
import { validateGraph } from '../src/core/graph/validate.js';
import type { NodeRunner } from '../src/core/ports.js';
import { openDatabase, type Store } from '../src/host/store/index.js';
import { httpRunner } from '../src/host/runners/http.js';

const N = 40;

function chain(id: string, node: (i: number) => Record<string, unknown>) {
  const nodes = Array.from({ length: N }, (_, i) => ({ id: `n${i}`, ...node(i) }));
  const edges = nodes.slice(1).map((n, i) => ({ id: `e${i}`, source: `n${i}`, target: n.id }));
  return validateGraph({ format: 'statepipe.graph', version: 1, id, nodes, edges });
}

let dir: string;
let store: Store;
let server: http.Server;
let url: string;
/** Each append's events (`type:node`), in the order the store committed them. */
let committed: string[][];

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-effect-chain-'));
  store = openDatabase(path.join(dir, 'runs.db'));
  committed = [];
  const append = store.append.bind(store);
  store.append = async (runId, events: NewEvent[], fence) => {
    const out = await append(runId, events, fence);
    committed.push(events.map((e) => `${e.type}:${e.nodeId ?? ''}`));
    return out;
  };
  server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ok`;
});

afterEach(async () => {
  await store.close();
  await new Promise<void>((r) => server.close(() => r()));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Wraps a runner: when it begins, its node's start must already be among the committed events. */
function checked(inner: NodeRunner, late: string[]): NodeRunner {
  return (ctx) => {
    if (!committed.flat().includes(`node.started:${ctx.node.id}`)) late.push(ctx.node.id);
    return inner(ctx);
  };
}

/** One append for the run's start with n0's, one per node's end with the next start, the last with the run's end. */
function expectOnePerNode(): void {
  expect(committed).toHaveLength(N + 1);
  expect(committed[0]).toEqual(['run.started:', 'node.queued:n0', 'node.started:n0']);
  for (let i = 1; i < N; i++)
    expect(committed[i]).toEqual([`node.succeeded:n${i - 1}`, `node.queued:n${i}`, `node.started:n${i}`]);
  expect(committed[N]).toEqual([`node.succeeded:n${N - 1}`, 'run.succeeded:']);
}

describe('a chain of effectful nodes', () => {
  for (const method of ['PUT', 'GET'] as const)
    it(`of http ${method}s: one append per node, ${method === 'PUT' ? 'each start committed before its request' : 'a request may go out while its start is written'}`, async () => {
      const late: string[] = [];
      let requests = 0;
      server.on('request', () => requests++);
      const engine = new Engine({
        store,
        clock: realClock,
        runners: { http: checked(httpRunner, late) },
        owner: { id: 'test' },
        controlPollMs: 60_000,
      });
      const g = chain('http-chain', () => ({ type: 'http', config: { method, url } }));
      const o = await engine.start(g, {}, { graphHash: 'h-http' });
      expect(o.status).toBe('succeeded');
      expect(requests).toBe(N);
      // A PUT waits for its start; a GET (a read) does not, and begins before the append that holds it.
      if (method === 'PUT') expect(late).toEqual([]);
      else expect(late.length).toBeGreaterThan(N / 2);
      expectOnePerNode();
    });

  it('of delay ms: 0 nodes: one append per node', async () => {
    const engine = new Engine({ store, clock: realClock, runners: {}, owner: { id: 'test' }, controlPollMs: 60_000 });
    const g = chain('delay-chain', () => ({ type: 'delay', config: { ms: 0 } }));
    const o = await engine.start(g, {}, { graphHash: 'h-delay' });
    expect(o.status).toBe('succeeded');
    expectOnePerNode();
  });
});
