/**
 * One run as a view follows it (a store per open run view): its graph snapshot, its event log
 * (catch-up, then live pushes: followRun), folded once per animation frame (a stream of tokens
 * costs one store update per frame, never one per token), the time-travel position, and what a
 * person does to it (pause, resume, cancel, approve, retry, resolve, rerun). Every tab of the
 * view reads `shown`: the run as of the time-travel position (`at`), or live.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { RunEvent } from '../../core/events';
import type { Graph } from '../../core/graph/schema';
import { followRun, type HostClient, type WireEvent } from '../api/client';
import { readGraphText } from '../doc/files';
import { RunFold, type RunSnapshot } from './fold';
import { startedGraph } from './started';

export type RunTab = 'node' | 'trace' | 'timeline' | 'logs';

export interface RunSessionState {
  runId: string;
  graph: Graph | null;
  /** The snapshot's version of its graph, and whether a person saved it (false: a draft run). */
  graphVersion: number | null;
  saved: boolean;
  /** The snapshot as stored, and the graph's latest saved version when it differs (else null). */
  snapshotJson: string | null;
  latestJson: string | null;
  /** Every event received, in seq order (mutated in place; `eventCount` changes with it). */
  events: RunEvent[];
  eventCount: number;
  live: RunSnapshot | null;
  /** Time travel: the seq shown, or null to follow the end. */
  at: number | null;
  /** The run as every tab shows it: live, or as of `at`. */
  shown: RunSnapshot | null;
  selected: string | null;
  tab: RunTab;
  loadError: string | null;
  /** The last action's refusal (shown beside the controls). */
  error: string | null;
}

export type RunSession = StoreApi<RunSessionState>;

/** Schedules `fn` on the next animation frame (or soon, where frames do not come: a hidden tab). */
function nextFrame(fn: () => void): () => void {
  let done = false;
  const run = () => {
    if (done) return;
    done = true;
    cancelAnimationFrame(raf);
    clearTimeout(timer);
    fn();
  };
  const raf = requestAnimationFrame(run);
  const timer = setTimeout(run, 120);
  return () => {
    done = true;
    cancelAnimationFrame(raf);
    clearTimeout(timer);
  };
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** A session that loads nothing (yet): the store alone. */
export function idleSession(runId = ''): RunSession {
  return createStore<RunSessionState>()(() => ({
    runId,
    graph: null,
    graphVersion: null,
    saved: true,
    snapshotJson: null,
    latestJson: null,
    events: [],
    eventCount: 0,
    live: null,
    at: null,
    shown: null,
    selected: null,
    tab: 'node',
    loadError: null,
    error: null,
  }));
}

let latest: RunSession | null = null;
/** The run session opened last (the benchmarks read the run on screen through it). */
export const latestSession = (): RunSession | null => latest;

/** Opens a run: its snapshot (fetched, unless this page started it) and its events, followed until `close()`. */
export function openRunSession(client: HostClient, runId: string): { session: RunSession; close(): void } {
  const session = idleSession(runId);
  latest = session;
  let stopped = false;
  let unfollow: (() => void) | null = null;
  let cancelFrame: (() => void) | null = null;
  const follow = (graph: Graph) => {
    const fold = new RunFold(runId, graph);
    session.setState({ graph, live: fold.current, shown: fold.current });
    let queue: WireEvent[] = [];
    const flush = () => {
      cancelFrame = null;
      const batch = queue;
      queue = [];
      const s = session.getState();
      for (const e of batch) s.events.push(e);
      const live = fold.apply(batch);
      session.setState({ live, eventCount: s.events.length, ...(s.at === null ? { shown: live } : {}) });
    };
    unfollow = followRun(client, runId, (events) => {
      queue.push(...events);
      cancelFrame ??= nextFrame(flush);
    });
  };
  /** Which version of its graph the run ran, and the graph's latest saved version when it differs. */
  const describe = async (snap: { json: string; version: number; saved: boolean }, graphId: string) => {
    let latestJson: string | null = null;
    try {
      const latest = await client.call('graphs.get', { graphIdOrRunId: graphId });
      if (latest.saved && latest.json !== snap.json) latestJson = latest.json;
    } catch {
      latestJson = null; // a graph only ever run as a draft has no saved version
    }
    if (!stopped)
      session.setState({ graphVersion: snap.version, saved: snap.saved, snapshotJson: snap.json, latestJson });
  };
  const known = startedGraph(runId);
  if (known) follow(known);
  void (async () => {
    const snap = await client.call('graphs.get', { graphIdOrRunId: runId });
    if (stopped) return;
    const graph = known ?? readGraphText(snap.json, runId);
    if (!known) follow(graph);
    await describe(snap, graph.id);
  })().catch((err: unknown) => !stopped && session.setState({ loadError: message(err) }));
  return {
    session,
    close() {
      stopped = true;
      unfollow?.();
      cancelFrame?.();
    },
  };
}

/** Folds to a seq, continuing the previous fold when the slider moves forward (a step costs the events between). */
const travels = new WeakMap<RunSession, { fold: RunFold; upto: number }>();

/** Moves time travel to `seq` (null: back to live). */
export function travelTo(session: RunSession, seq: number | null): void {
  const s = session.getState();
  if (!s.graph || !s.live) return;
  if (seq === null || seq >= s.live.lastSeq) {
    travels.delete(session);
    session.setState({ at: null, shown: s.live });
    return;
  }
  let t = travels.get(session);
  if (!t || t.upto > seq) travels.set(session, (t = { fold: new RunFold(s.runId, s.graph), upto: 0 }));
  const batch: RunEvent[] = [];
  for (const e of s.events) if (e.seq > t.upto && e.seq <= seq) batch.push(e);
  t.upto = seq;
  session.setState({ at: seq, shown: t.fold.apply(batch) });
}

/** The events up to the time-travel position (all when following the end). */
export function eventsShown(s: Pick<RunSessionState, 'events' | 'at'>): RunEvent[] {
  if (s.at === null) return s.events;
  const at = s.at;
  let n = s.events.length;
  while (n > 0 && s.events[n - 1]!.seq > at) n--;
  return s.events.slice(0, n);
}

/** Runs an action on the run; its refusal is kept in `error` (and rethrown for a dialog to show). */
export async function act<T>(session: RunSession, fn: () => Promise<T>): Promise<T> {
  session.setState({ error: null });
  try {
    return await fn();
  } catch (err) {
    session.setState({ error: message(err) });
    throw err;
  }
}
