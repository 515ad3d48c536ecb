/** Shared fixtures of the store tests (not a test file itself). */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { ev, type NewEvent, type RunEvent } from '../../core/events.js';
import type { Graph } from '../../core/graph/schema.js';
import { asNodeId, asRunId, type RunId } from '../../core/ids.js';
import type { Lease, NewRun } from '../../core/ports.js';
import { sha256 } from './sqlite-store.js';
import type { Store } from './store.js';

export function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'statepipe-store-'));
}

export function makeGraph(id = 'demo', extra: Partial<Graph> = {}): Graph {
  return {
    format: 'statepipe.graph',
    version: 1,
    id,
    name: `Graph ${id}`,
    nodes: [
      { id: 'in', type: 'input', config: {} },
      { id: 'ask', type: 'llm', config: { provider: 'mock', model: 'm', prompt: 'hi' } },
    ],
    edges: [{ id: 'e1', source: 'in', target: 'ask' }],
    ...extra,
  };
}

export function newRun(runId: string, graph: Graph = makeGraph(), input: unknown = { q: 1 }): NewRun {
  return {
    runId: asRunId(runId),
    graph,
    graphHash: sha256(JSON.stringify(graph)),
    events: [ev('run.created', { graphId: graph.id, graphHash: sha256(JSON.stringify(graph)), input })],
  };
}

export const rid = (s: string): RunId => asRunId(s);
export const nid = asNodeId;

export function logEvents(n: number, nodeId = 'ask'): NewEvent[] {
  return Array.from({ length: n }, (_, i) => ev('node.log', { level: 'info', message: `m${i}` }, nid(nodeId)));
}

/**
 * Appends as the one writer of each run: its lease (taken on first use), after the run's last seq.
 * A run with no row gets the first seq of a new run (the store refuses it: no such run).
 */
export function leaseWriter(store: Store): (runId: string, events: NewEvent[]) => Promise<RunEvent[]> {
  const leases = new Map<string, Lease>();
  return async (runId, events) => {
    const row = await store.getRunRow(runId);
    if (!row) return store.append(rid(runId), events, { epoch: 0, afterSeq: 0 });
    let lease = leases.get(runId);
    if (!lease) {
      lease = (await store.acquireLease(rid(runId), { id: 'contract-test' }))!;
      leases.set(runId, lease);
    }
    return store.append(rid(runId), events, { epoch: lease.epoch, afterSeq: row.lastSeq });
  };
}

export interface WorkerResult {
  code: number | null;
  out: string;
  err: string;
}

/**
 * Starts one process per argument list (`node --import tsx script …args`), waits until each
 * prints `ready`, then releases them all at once (a line on stdin) and collects what they print.
 */
export async function runWorkers(script: string, argLists: string[][]): Promise<WorkerResult[]> {
  const tsx = createRequire(import.meta.url).resolve('tsx');
  const children = argLists.map((args) =>
    spawn(process.execPath, ['--import', tsx, script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] }),
  );
  const results = children.map(
    (child) =>
      new Promise<WorkerResult>((resolve, reject) => {
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.once('error', reject);
        child.once('exit', (code) => resolve({ code, out: out.replace('ready\n', ''), err }));
      }),
  );
  const ready = children.map(
    (child) =>
      new Promise<void>((resolve) => {
        const onData = (d: Buffer) => {
          if (d.toString().includes('ready')) {
            child.stdout.off('data', onData);
            resolve();
          }
        };
        child.stdout.on('data', onData);
        child.once('exit', () => resolve());
      }),
  );
  await Promise.all(ready);
  for (const child of children) child.stdin.end('go\n');
  return Promise.all(results);
}
