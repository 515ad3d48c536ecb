/**
 * In-doubt without a coin toss, with the real CLI SIGKILLed while an unsafe POST is in flight
 * and `statepipe resume` after it. The node declares `verify` (GET /orders/<key> on the counting
 * server): where the POST had reached the server, resume records it done with the verified
 * answer and no second order; where it had not, resume retries with a new key: one order.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cliEntry, startedRunId } from '../src/cli/cli-test-kit.js';
import { cli, tempDir } from './cli-harness.js';
import { startCountingServer, type CountingServer, type Stall } from './reliability/counting-server.js';

let server: CountingServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function orderGraph(url: string): Record<string, unknown> {
  return {
    format: 'statepipe.graph',
    version: 1,
    id: 'shop',
    nodes: [
      { id: 'start', type: 'input' },
      {
        id: 'order',
        type: 'http',
        timeoutMs: 120_000,
        config: {
          method: 'POST',
          url: `${url}/orders`,
          body: { item: '{{input.item}}' },
          // No `output`: the check's response ({ status, headers, body }) is the output, shaped as the POST's.
          verify: { url: `${url}/orders/{{idempotencyKey}}`, expect: 'response.status = 200' },
        },
      },
      { id: 'result', type: 'output', config: { value: '{{nodes.order.output.body}}' } },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'order' },
      { id: 'e2', source: 'order', target: 'result' },
    ],
  };
}

interface Exported {
  type: string;
  nodeId?: string;
  data: Record<string, unknown>;
}

/** Runs the graph in a real CLI process and SIGKILLs it once `ready()` says the POST is where we want it. */
async function runKilledDuringPost(stall: Stall, ready: (s: CountingServer) => boolean) {
  server = await startCountingServer({ stall });
  const s = server;
  const dir = tempDir();
  const db = path.join(dir, 'db');
  const file = path.join(dir, 'shop.json');
  fs.writeFileSync(file, JSON.stringify(orderGraph(s.url)));
  const child = spawn(process.execPath, [...(await cliEntry()), 'run', file, '--db', db, '--input', '{"item":"tea"}'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  for (let i = 0; i < 1200 && !ready(s); i++) await new Promise((r) => setTimeout(r, 25));
  expect(ready(s), out).toBe(true);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
  const runId = startedRunId(out);
  const resumed = await cli(['resume', runId, '--db', db, '--json'], { timeoutMs: 60_000 });
  const events = (await cli(['export', runId, '--db', db])).stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Exported);
  const replay = await cli(['replay', runId, '--db', db], { timeoutMs: 60_000 });
  return { runId, resumed, events, server: s, replay };
}

describe('verify after a SIGKILL during an unsafe POST', () => {
  it('the POST had reached the server: done with the verified answer, exactly one order, no in-doubt', async () => {
    const first = (key: string) => key.endsWith(':order:1');
    const r = await runKilledDuringPost(
      (key) => (first(key) ? 'after' : undefined), // applied, then the answer never comes
      (s) => [...s.applied.keys()].some(first),
    );
    expect(r.resumed.code, r.resumed.stderr).toBe(0);
    const key = `${r.runId}:order:1`;
    expect(JSON.parse(r.resumed.stdout)).toMatchObject({
      status: 'succeeded',
      result: { result: { ok: true, path: '/orders', method: 'POST' } },
    });
    expect([...r.server.applied]).toEqual([[key, 1]]); // one order
    expect([...r.server.counts]).toEqual([[key, 1]]); // the POST was sent once
    expect(r.events.some((e) => e.type === 'node.in-doubt')).toBe(false);
    const done = r.events.find((e) => e.type === 'node.succeeded' && e.nodeId === 'order')!;
    expect(done.data).toMatchObject({ attempt: 1, verified: true, output: { status: 200, body: { ok: true } } });
    expect(r.replay.code, r.replay.stdout).toBe(0); // and its record replays
  }, 120_000);

  it('the POST had not taken effect: retried safely with a new key, one order', async () => {
    const first = (key: string) => key.endsWith(':order:1');
    const r = await runKilledDuringPost(
      (key) => (first(key) ? 'before' : undefined), // arrived, never applied
      (s) => [...s.counts.keys()].some(first),
    );
    expect(r.resumed.code, r.resumed.stderr).toBe(0);
    const second = `${r.runId}:order:2`;
    expect(JSON.parse(r.resumed.stdout)).toMatchObject({
      status: 'succeeded',
      result: { result: { ok: true, path: '/orders', method: 'POST' } },
    });
    expect([...r.server.applied]).toEqual([[second, 1]]); // one order, by the new attempt
    expect(r.events.some((e) => e.type === 'node.in-doubt')).toBe(false);
    const retrying = r.events.find((e) => e.type === 'node.retrying' && e.nodeId === 'order')!;
    expect(retrying.data).toMatchObject({ attempt: 2, verified: false });
    expect(r.replay.code, r.replay.stdout).toBe(0);
  }, 120_000);
});
