/**
 * The child runs of a composition node (subgraph, map, loop) as the run view shows them: each
 * child (a map's item, a loop's iteration) with its status, duration and tokens, and the node's
 * progress (`37 / 120 items`, `iteration 3`, the child's status). All of it comes from the
 * parent's own events (`node.child` when a child starts, `child.finished` when it ends,
 * `node.waiting` while one waits for a person), which the host pushes live like any other, so
 * a parent's view follows its children without following each of them.
 */
import type { NodeError } from '../../core/errors';
import type { RunEvent } from '../../core/events';
import type { NodeState } from '../../core/engine/state';
import type { RunStatus } from '../../core/ports';

/**
 * `in-doubt`: waiting for a person to retry or resolve a node in doubt (not for an approval).
 * `paused`: paused with its parent (a pause of the parent pauses its running children).
 */
export type ChildStatus = 'running' | 'paused' | 'waiting' | 'in-doubt' | 'succeeded' | 'failed' | 'cancelled';

export interface ChildItem {
  /** A map item's index, a loop's iteration, 0 for a subgraph. */
  key: number;
  runId: string;
  /** The parent attempt that started it. */
  attempt: number;
  status: ChildStatus;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  tokens: number;
  costUsd: number;
  error?: NodeError;
}

export interface ChildProgress {
  /** Children that ended (succeeded, failed or cancelled), and of those the failed. */
  done: number;
  failed: number;
  running: number;
  paused: number;
  waiting: number;
  /** How many children the node will start when known (a map's items; a loop's most iterations; 1). */
  total?: number;
  /** The latest child's key (a loop's current iteration). */
  lastKey?: number;
  /** The card's line: `37 / 120 items`, `iteration 3`, `child running` (`· 2 paused`, `child paused`). */
  text: string;
  /** While the node waits: at which nodes its child runs wait (`2 wait for gate · 1 in doubt at charge`). */
  waits?: string;
}

/**
 * Where a waiting composition node's child runs wait, by node (a deeper child's counted where it
 * waits): what a person has to decide, and where to find it, on the parent's card.
 */
export function waitsText(n: Pick<NodeState, 'status' | 'waitingChildren'>): string | undefined {
  if (n.status !== 'waiting' || !n.waitingChildren?.length) return undefined;
  const at = new Map<string, { wait: number; doubt: number }>();
  for (const c of n.waitingChildren)
    for (const id of c.nodeIds) {
      const k = at.get(id) ?? { wait: 0, doubt: 0 };
      if (c.inDoubt?.includes(id)) k.doubt++;
      else k.wait++;
      at.set(id, k);
    }
  const parts: string[] = [];
  for (const [id, k] of at) {
    if (k.wait > 0) parts.push(`${k.wait} wait${k.wait === 1 ? 's' : ''} for ${id}`);
    if (k.doubt > 0) parts.push(`${k.doubt} in doubt at ${id}`);
  }
  return parts.length > 0 ? parts.join(' · ') : undefined;
}

/** How a child is named after the node that started it: `item 3`, `iteration 2`, `child`. */
export function keyLabel(type: string | undefined, key: number): string {
  return type === 'map' ? `item ${key}` : type === 'loop' ? `iteration ${key}` : 'child';
}

/** When each child started and ended, by child run id (the fold's state keeps no times). */
export class ChildTimes {
  private readonly times = new Map<string, { start?: string; end?: string }>();
  note(e: RunEvent): void {
    if (e.type === 'node.child') this.times.set(e.data.childRunId, { start: e.ts });
    else if (e.type === 'child.finished') {
      const t = this.times.get(e.data.childRunId) ?? {};
      this.times.set(e.data.childRunId, { ...t, end: e.ts });
    }
  }
  of(runId: string): { start?: string; end?: string } | undefined {
    return this.times.get(runId);
  }
}

/**
 * What a child the parent's log still records as running is now. The parent's log says when a
 * child starts and when it ends, not when a pause or a cancel of the parent reaches it: a pause of
 * the parent pauses its running children (they end nothing while it is paused), and a cancelled
 * node's children are cancelled with it (their end is not recorded in the parent).
 */
function unendedStatus(
  n: Pick<NodeState, 'status'>,
  runStatus: RunStatus | undefined,
  waits: 'waiting' | 'in-doubt' | undefined,
): ChildStatus {
  if (waits) return waits;
  if (n.status === 'cancelled') return 'cancelled';
  if (runStatus === 'paused') return 'paused';
  return 'running';
}

/**
 * The children of a node in key order, or undefined when it started none. `runStatus` is the
 * parent run's: a child of a paused run is paused with it.
 */
export function childItems(n: NodeState, times: ChildTimes, runStatus?: RunStatus): ChildItem[] | undefined {
  if (!n.children || n.children.size === 0) return undefined;
  // A child waits itself, or through a child of its own (`via`); in doubt when all it waits on is.
  const waiting = new Set((n.waitingChildren ?? []).map((c) => c.via ?? c.runId));
  const approvals = new Set(
    (n.waitingChildren ?? [])
      .filter((c) => c.nodeIds.some((id) => !c.inDoubt?.includes(id)))
      .map((c) => c.via ?? c.runId),
  );
  const out: ChildItem[] = [];
  for (const [key, c] of n.children) {
    const t = times.of(c.runId);
    const item: ChildItem = {
      key,
      runId: c.runId,
      attempt: c.attempt,
      status:
        c.status === 'running'
          ? unendedStatus(
              n,
              runStatus,
              waiting.has(c.runId) ? (approvals.has(c.runId) ? 'waiting' : 'in-doubt') : undefined,
            )
          : c.status,
      tokens: c.tokens,
      costUsd: c.costUsd,
    };
    if (t?.start) item.startedAt = t.start;
    if (t?.end) item.finishedAt = t.end;
    if (t?.start && t.end) item.durationMs = Math.max(0, Date.parse(t.end) - Date.parse(t.start));
    if (c.error) item.error = c.error;
    out.push(item);
  }
  return out.sort((a, b) => a.key - b.key);
}

/** How many children a node will start, when its config (as run) says. */
function totalOf(type: string, n: NodeState, config: Record<string, unknown>): number | undefined {
  if (type === 'subgraph') return 1;
  if (type === 'loop') return typeof config['maxIterations'] === 'number' ? config['maxIterations'] : undefined;
  const items = (n.input as { items?: unknown } | undefined)?.items;
  return Array.isArray(items) ? items.length : undefined;
}

export function childProgress(
  type: string,
  n: NodeState,
  config: Record<string, unknown>,
  items: readonly ChildItem[] | undefined,
): ChildProgress | undefined {
  if (type !== 'map' && type !== 'loop' && type !== 'subgraph') return undefined;
  const total = totalOf(type, n, config);
  // Not started yet (idle, queued, skipped): nothing to count.
  if (!items && n.attempt === 0) return undefined;
  const p: ChildProgress = { done: 0, failed: 0, running: 0, paused: 0, waiting: 0, text: '' };
  if (total !== undefined) p.total = total;
  for (const c of items ?? []) {
    if (c.status === 'running') p.running++;
    else if (c.status === 'paused') p.paused++;
    else if (c.status === 'waiting' || c.status === 'in-doubt') p.waiting++;
    else p.done++;
    if (c.status === 'failed') p.failed++;
    p.lastKey = Math.max(p.lastKey ?? c.key, c.key);
  }
  // Paused with the run: `3 / 12 items · 2 paused`, `iteration 3 · paused`, `child paused`.
  if (type === 'map') p.text = `${p.done} / ${total ?? '?'} items${p.paused ? ` · ${p.paused} paused` : ''}`;
  else if (type === 'loop')
    p.text = p.lastKey === undefined ? 'no iteration yet' : `iteration ${p.lastKey}${p.paused ? ' · paused' : ''}`;
  else p.text = items?.[0] ? `child ${items[0].status}` : 'child not started';
  const waits = waitsText(n);
  if (waits) p.waits = waits;
  return p;
}
