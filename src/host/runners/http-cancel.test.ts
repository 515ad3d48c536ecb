/**
 * A cancel that cuts off an `http` node midway: a request that changes things (unsafe) may have
 * reached the server, and the node's record says so; a read is simply cancelled.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { realClock } from '../../core/engine/clock.js';
import { Engine } from '../../core/engine/engine.js';
import type { RunEvent } from '../../core/events.js';
import { validateGraph } from '../../core/graph/validate.js';
import { openDatabase } from '../store/index.js';
import type { SqliteStore } from '../store/sqlite-store.js';
import { httpRunner } from './http.js';

let dir: string;
let store: SqliteStore;
let server: http.Server;
let url: string;
/** Requests the server has received (and holds, never answering). */
let received: string[];
let arrived: () => void;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-http-cancel-'));
  store = openDatabase(path.join(dir, 'runs.db'));
  received = [];
  server = http.createServer((req) => {
    received.push(req.method ?? '');
    arrived();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/orders`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function cancelledMidway(method: 'POST' | 'GET') {
  const graph = validateGraph({
    format: 'statepipe.graph',
    version: 1,
    id: 'order',
    nodes: [{ id: 'place', type: 'http', config: { method, url, body: method === 'POST' ? { sku: 'A1' } : null } }],
    edges: [],
  });
  const engine = new Engine({ store, clock: realClock, runners: { http: httpRunner }, owner: { id: 't' } });
  const events: RunEvent[] = [];
  engine.subscribe((es) => events.push(...es));
  const runId = await engine.createRun(graph, {}, { graphHash: 'h' });
  const there = new Promise<void>((r) => (arrived = r));
  const driving = engine.drive(runId);
  await there; // the request is at the server, unanswered
  await engine.cancel(runId);
  const outcome = await driving;
  const cancelled = events.find((e) => e.type === 'node.cancelled' && e.nodeId === 'place');
  const [row] = (await store.nodeStates(runId)).filter((n) => n.nodeId === 'place');
  return { outcome, cancelled, row };
}

describe('an http node cut off by a cancel', () => {
  it('an unsafe POST is recorded as cancelled while under way: it may have taken effect', async () => {
    const { outcome, cancelled, row } = await cancelledMidway('POST');
    expect(received).toEqual(['POST']);
    expect(outcome.status).toBe('cancelled');
    expect(cancelled?.data).toMatchObject({
      attempt: 1,
      error: { kind: 'cancelled', retryable: false, message: expect.stringContaining('it may have taken effect') },
    });
    // What `inspect` and the studio read: the node's row, from the SQLite file.
    expect(row?.status).toBe('cancelled');
    expect(row?.error?.message).toMatch(/^its request was under way when the run was cancelled/);
  });

  it('a GET (a read) cut off is simply cancelled', async () => {
    const { outcome, cancelled, row } = await cancelledMidway('GET');
    expect(received).toEqual(['GET']);
    expect(outcome.status).toBe('cancelled');
    expect(cancelled?.data).toEqual({ attempt: 1 });
    expect(row?.status).toBe('cancelled');
    expect(row?.error ?? null).toBeNull();
  });
});
