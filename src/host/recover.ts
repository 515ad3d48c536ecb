/**
 * What opening a database involves besides the engine: the store as a process opens it (with
 * `statepipe chaos` fault injection when asked), this process's lease identity, and the scan that
 * marks the runs whose driving process died `interrupted` (docs/runtime.md "Durability"; readers
 * show them so without writing: shown-status.ts). The service uses these; so do the CLI's read
 * commands (`list`, `inspect`, `export`), which need neither the engine nor graph validation and
 * so start without loading them.
 */
import { hostname } from 'node:os';
import { commitEvents } from '../core/engine/commit.js';
import { foldEvents } from '../core/engine/state.js';
import { ev } from '../core/events.js';
import { asRunId } from '../core/ids.js';
import type { LeaseOwner } from '../core/ports.js';
import { chaosFromEnv, installChaos } from './chaos.js';
import { SqliteStore, openStore, type Store, type StoreOptions } from './store/index.js';

/**
 * Opens (creating and migrating) the store `spec` names (a SQLite file or a PostgreSQL URL);
 * a SQLite one is wrapped for fault injection only under `statepipe chaos`.
 */
export async function openProcessStore(spec: string, opts: StoreOptions = {}): Promise<Store> {
  const chaos = chaosFromEnv(); // one env lookup, no wrapper unless it is set
  const store = await openStore(spec, opts);
  return chaos && store instanceof SqliteStore ? installChaos(store, chaos) : store;
}

/**
 * This process as the holder of run leases: host, pid and a random part (two services in one
 * process differ); a named worker as `NAME@host:pid`.
 */
export function processOwner(name?: string): LeaseOwner & { pid: number } {
  const id = name
    ? `${name}@${hostname()}:${process.pid}`
    : `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 10)}`;
  return { id, pid: process.pid };
}

/**
 * Marks runs whose driving process died as `interrupted`; returns their ids. On PostgreSQL, runs
 * ever queued for workers are left alone (not even their lease is taken): the workers' reaper
 * takes them over, and one marked interrupted would wait for a person instead (docs/scale-out.md
 * "Takeover").
 */
export async function recoverInterrupted(store: Store, owner: LeaseOwner): Promise<string[]> {
  const marked: string[] = [];
  const found = await store.findRunsToRecover();
  const workers = found.length > 0 ? await store.queuedForWorkers?.(found.map((r) => r.runId)) : undefined;
  for (const r of found) {
    if (workers?.has(r.runId)) continue;
    const id = asRunId(r.runId);
    const lease = await store.acquireLease(id, owner);
    if (!lease) continue;
    try {
      const { graph, events } = await store.loadRun(id);
      const state = foldEvents(id, graph, events);
      if (state.status === 'running' || state.status === 'queued') {
        const interrupted = ev('run.interrupted', r.ownerPid ? { ownerPid: r.ownerPid } : {});
        await commitEvents(store, state, lease, [interrupted]);
        marked.push(id);
      }
    } finally {
      await store.releaseLease(id, lease);
    }
  }
  return marked;
}
