/**
 * Replay (docs/runtime.md "Controls"): re-drive a finished run from its record, calling no runner, on
 * a simulated clock and an in-memory store, and check that it reproduces the same transitions per
 * node, the same outputs and the same end.
 *
 * The record is followed, not only its outcomes: runner calls return their recorded outcomes in
 * the order they were recorded, and what people and crashes did (approve, reject, pause, resume
 * with a new budget, cancel, retry, resolve, a killed process) is done again at the point of the
 * run where it was done: when the replay has made every transition the record made before it.
 */
import { AppError, NodeFailure } from '../errors.js';
import { asNewEvent, type RunEvent } from '../events.js';
import type { Graph } from '../graph/schema.js';
import { NODE_KINDS } from '../nodes/registry.js';
import type { RunId } from '../ids.js';
import type { NodeRunner, VerifyRequest, VerifyVerdict } from '../ports.js';
import { hostTurn, SimClock } from './clock.js';
import type { RunnerRegistry } from './context.js';
import { Engine } from './engine.js';
import { MemoryStore } from './memory-store.js';
import { RecordedChildren } from './replay-children.js';
import {
  callKey,
  describe,
  failureOf,
  isTransition,
  recordedCalls,
  recordedSteps,
  recordedVerdicts,
  timedEnds,
  transitionsByNode,
  type Action,
  type RecordedCall,
  type Step,
  type Verdict,
} from './replay-record.js';
import { foldEvents } from './state.js';

export interface ReplayReport {
  matches: boolean;
  differences: string[];
  nodesCompared: number;
}

/** Timer firings in a row with nothing happening before the replay counts itself stuck. */
const IDLE_FIRES = 20;

export async function replayRun(runId: RunId, graph: Graph, events: RunEvent[]): Promise<ReplayReport> {
  const original = foldEvents(runId, graph, events);
  if (original.status !== 'succeeded' && original.status !== 'failed' && original.status !== 'cancelled') {
    throw new AppError(
      'illegal-transition',
      `run ${runId} is ${original.status}: replay re-drives a finished run (succeeded, failed or cancelled)`,
    );
  }
  const replay = new Replay(runId, graph, events);
  const replayed = await replay.run();
  const differences = [
    ...replay.problems,
    ...compare(original, foldEvents(runId, graph, replayed), transitionsByNode(events), transitionsByNode(replayed)),
  ];
  return { matches: differences.length === 0, differences, nodesCompared: original.nodes.size };
}

interface Waiter {
  seq: number;
  ordered: boolean;
  release: () => void;
}

class Replay {
  readonly problems: string[] = [];
  private readonly graphHash: string;
  /** Composition nodes' children: their ends from the record, not run again. */
  private readonly children: RecordedChildren;
  private readonly calls: Map<string, RecordedCall>;
  private readonly verdicts: Map<string, Verdict>;
  private readonly steps: Step[];
  private nextStep = 0;
  /** seqs of the outcomes released in recorded order, ascending; `ordered[orderAt]` is next. */
  private readonly ordered: number[];
  private readonly timed: ReturnType<typeof timedEnds>;
  private orderAt = 0;
  private readonly released = new Set<number>();
  private waiting: Waiter[] = [];
  /** A crash starts a new epoch: calls of the dead process never return. */
  private epoch = 0;
  private clock!: SimClock;
  private store!: MemoryStore;
  private engine!: Engine;
  private counts = new Map<string, number>();
  private seen = 0;

  constructor(
    private readonly runId: RunId,
    private readonly graph: Graph,
    private readonly record: RunEvent[],
  ) {
    const created = record[0];
    this.graphHash = created?.type === 'run.created' ? created.data.graphHash : '';
    this.calls = recordedCalls(graph, record);
    this.verdicts = recordedVerdicts(record);
    this.children = new RecordedChildren(record);
    this.steps = recordedSteps(record);
    this.timed = timedEnds(graph, record);
    this.ordered = [...this.calls.values()]
      .filter((c) => c.ordered)
      .map((c) => c.seq)
      .sort((a, b) => a - b);
  }

  /** The runner of one epoch's engine: once that process "died", its calls never return. */
  private runnerOf(epoch: number): NodeRunner {
    return async (ctx) => {
      if (epoch !== this.epoch) return new Promise<never>(() => undefined);
      return this.call(ctx, epoch);
    };
  }

  private async call(ctx: Parameters<NodeRunner>[0], epoch: number): ReturnType<NodeRunner> {
    const compensation = ctx.idempotencyKey.endsWith(':compensate');
    const call = this.calls.get(callKey(ctx.node.id, ctx.attempt, compensation));
    if (!call)
      this.problems.push(
        `${ctx.node.id}: no recorded outcome for ${compensation ? 'compensation ' : ''}attempt ${ctx.attempt}`,
      );
    if (!call || call.outcome.kind === 'cancelled' || call.outcome.kind === 'lost') return aborted(ctx.signal);
    await this.gate(call, ctx.signal);
    if (epoch !== this.epoch) return new Promise<never>(() => undefined);
    const o = call.outcome;
    if (o.kind === 'fail') throw failureOf(o);
    if (o.kind !== 'ok') throw new Error('unreachable');
    if (o.tokens) ctx.emitTokens(o.tokens);
    return o.result;
  }

  /** A `verify` check after a crash (verify.ts) answers what the record says it found, in recorded order. */
  private async verify(req: VerifyRequest, epoch: number): Promise<VerifyVerdict> {
    const v = this.verdicts.get(callKey(req.node.id, req.attempt));
    // None recorded (a host that could not check): unanswerable, as the record's in-doubt says.
    if (!v) throw new NodeFailure('internal', 'no verify check recorded', { retryable: false });
    await this.gate({ seq: v.seq, ordered: this.ordered.includes(v.seq), outcome: { kind: 'lost' } }, req.signal);
    if (epoch !== this.epoch) return new Promise<never>(() => undefined);
    if (v.kind === 'unanswerable') throw failureOf({ kind: 'fail', error: v.error });
    return v.kind === 'applied' ? { applied: true, output: v.output } : { applied: false, response: null };
  }

  private gate(call: RecordedCall, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { seq: call.seq, ordered: call.ordered, release: resolve };
      this.waiting.push(w);
      signal.addEventListener(
        'abort',
        () => {
          this.waiting = this.waiting.filter((x) => x !== w);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }

  async run(): Promise<RunEvent[]> {
    const created = this.record[0];
    // Reused outputs of a rerun are part of its record.
    const reused = this.record.filter((e) => e.type === 'node.succeeded' && e.data.reusedFrom).map(asNewEvent);
    this.startEpoch(Date.parse(created?.ts ?? '2026-01-01T00:00:00Z'), (store) => {
      store.seed({
        runId: this.runId,
        graph: this.graph,
        graphHash: this.graphHash,
        events: [asNewEvent(created!), ...reused],
      });
    });
    let idle = 0;
    let seen = -1;
    for (let guard = 0; guard < 100 * (this.record.length + 100); guard++) {
      await this.quiet();
      if (this.seen !== seen) idle = 0;
      seen = this.seen;
      if (this.applyStep() || this.release(true)) continue;
      if (idle < IDLE_FIRES && this.clock.fireNext()) {
        idle++;
        continue;
      }
      if (!this.release(false)) break;
    }
    const left = this.steps[this.nextStep];
    if (left)
      this.problems.push(
        `run: the replay never reached the point where the record shows the ${describe(left.action)} (seq ${left.seq})`,
      );
    return this.store.snapshot(this.runId).events;
  }

  /**
   * Host turns until one passes with nothing published: commits are written after a turn (group
   * commit), so what the engine did is seen before the replay moves its clock or releases a call.
   */
  private async quiet(): Promise<void> {
    for (let i = 0; i < 50; i++) {
      const seen = this.seen;
      await hostTurn();
      await hostTurn();
      if (this.seen === seen) return;
    }
  }

  /** A fresh engine on a fresh store and clock (the first, or the one after a crash). */
  private startEpoch(now: number, seed: (store: MemoryStore) => void): void {
    const epoch = ++this.epoch;
    this.waiting = [];
    this.clock = new SimClock(now, false);
    const clock = this.clock;
    this.store = new MemoryStore(() => clock.now());
    seed(this.store);
    this.counts = new Map(
      [...transitionsByNode(this.store.snapshot(this.runId).events)].map(([id, t]) => [id, t.length]),
    );
    const runners: RunnerRegistry = {};
    for (const k of NODE_KINDS) if (k.execution === 'effect') runners[k.type] = this.runnerOf(epoch);
    this.engine = new Engine({
      store: this.store,
      clock,
      runners,
      childEngine: this.children,
      owner: { id: 'replay' },
      random: () => 0,
      controlPollMs: 3_600_000,
      services: {
        verifyEffect: (req) => (epoch === this.epoch ? this.verify(req, epoch) : new Promise<never>(() => undefined)),
      },
    });
    this.engine.subscribe((events) => {
      if (epoch !== this.epoch) return;
      for (const e of events) {
        this.seen++;
        if (isTransition(e)) this.counts.set(e.nodeId!, (this.counts.get(e.nodeId!) ?? 0) + 1);
      }
      // A crash, or a pause or cancel taken mid-flight, lands as soon as the run is where it
      // landed, before the run goes on: a kill right after this commit, before the next one.
      if (this.reached(true)) {
        if (this.steps[this.nextStep]!.action.kind === 'crash') this.applyStep(true);
        else queueMicrotask(() => this.applyStep(true));
      }
    });
    this.track(this.engine.drive(this.runId), undefined);
  }

  /** The replay has made every transition the record made before its next action. */
  private reached(midFlightOnly: boolean): boolean {
    const step = this.steps[this.nextStep];
    const k = step?.action.kind;
    if (!step || (midFlightOnly && !(k === 'crash' || (step.midFlight && (k === 'pause' || k === 'cancel')))))
      return false;
    for (const [id, n] of step.before) if ((this.counts.get(id) ?? 0) < n) return false;
    return true;
  }

  /**
   * Does the next person's action (or crash) once the replay has reached the point it was done
   * at. A crash, and a pause or cancel taken while nodes ran, land at once (`midFlightOnly`); the
   * rest waits for a quiet turn, when the driver that was running has settled.
   */
  private applyStep(midFlightOnly = false): boolean {
    if (!this.reached(midFlightOnly)) return false;
    const step = this.steps[this.nextStep]!;
    this.nextStep++;
    const a = step.action;
    const id = this.runId;
    switch (a.kind) {
      case 'approve':
        return this.track(this.engine.approve(id, a.nodeId, a.decision), a);
      case 'pause':
        return this.track(this.engine.pause(id), a);
      case 'resume':
        return this.track(this.engine.resume(id, a.budget ? { budget: a.budget } : {}), a);
      case 'cancel':
        return this.track(this.engine.cancel(id), a);
      case 'retry':
        return this.track(this.engine.retry(id, a.nodeId), a);
      case 'resolve':
        return this.track(this.engine.resolve(id, a.nodeId, a.output), a);
      case 'continue':
        this.children.release(step.seq);
        return this.track(this.engine.drive(id), a);
      case 'crash': {
        // The process dies here: what it had committed at the record's point of the kill is all
        // there is (its calls never return), and a new process finds that log and resumes it.
        const log = atKill(this.store.snapshot(id).events, step.before);
        this.children.crashed(step.seq);
        this.epoch++;
        this.waiting = [];
        const kept = log.map(asNewEvent);
        const now = this.clock.now();
        queueMicrotask(() =>
          this.startEpoch(now, (store) =>
            store.seed({ runId: id, graph: this.graph, graphHash: this.graphHash, events: kept }),
          ),
        );
        return true;
      }
    }
  }

  private track(p: Promise<unknown>, action: Action | undefined): true {
    const epoch = this.epoch;
    p.catch((err: unknown) => {
      if (epoch !== this.epoch) return;
      const what = action ? `the ${describe(action)} could not be done again` : 'the replay could not start';
      this.problems.push(`run: ${what}: ${err instanceof Error ? err.message : String(err)}`);
    });
    return true;
  }

  /**
   * Lets one waiting call return its outcome: the earliest, once every action recorded before it
   * is done and (strict) every runner outcome and delay end recorded before it has happened.
   */
  private release(strict: boolean): boolean {
    if (this.waiting.length === 0) return false;
    const w = this.waiting.reduce((a, b) => (b.seq < a.seq ? b : a));
    if (strict) {
      const step = this.steps[this.nextStep];
      if (step && step.seq < w.seq) return false;
      if (w.ordered && this.ordered[this.orderAt] !== w.seq) return false;
      if (this.timed.some((t) => t.seq < w.seq && (this.counts.get(t.nodeId) ?? 0) < t.count)) return false;
    }
    this.waiting = this.waiting.filter((x) => x !== w);
    this.released.add(w.seq);
    while (this.orderAt < this.ordered.length && this.released.has(this.ordered[this.orderAt]!)) this.orderAt++;
    w.release();
    return true;
  }
}

/**
 * The replay's log as the killed process had it at the kill. The replay may have grouped its
 * commits differently, or (on a simulated clock, with no host turns) started a node before a
 * delay ended where the recording process, given a turn by a loaded machine, ended the delay
 * first and was killed before the start. So each node keeps its transitions up to the record's
 * count before the kill (and what came with them), nothing after; run events are kept up to the
 * first transition past the record (what follows may rest on it). A start kept past the record
 * would make an unsafe node in-doubt the record never had; a success of another node dropped
 * with it would do the same.
 */
function atKill(events: RunEvent[], before: ReadonlyMap<string, number>): RunEvent[] {
  const counts = new Map<string, number>();
  const past = new Set<string>();
  return events.filter((e) => {
    const id = e.nodeId;
    if (id === undefined) return past.size === 0;
    if (!past.has(id) && isTransition(e)) {
      const n = (counts.get(id) ?? 0) + 1;
      if (n > (before.get(id) ?? 0)) past.add(id);
      else counts.set(id, n);
    }
    return !past.has(id);
  });
}

/** Waits for the call's abort (a cancel, a timeout); never returns otherwise. */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) =>
    signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
  );
}

function compare(
  a: ReturnType<typeof foldEvents>,
  b: ReturnType<typeof foldEvents>,
  ta: Map<string, string[]>,
  tb: Map<string, string[]>,
): string[] {
  const differences: string[] = [];
  if (a.status !== b.status) differences.push(`run: recorded ${a.status}, replayed ${b.status}`);
  if (JSON.stringify(a.result) !== JSON.stringify(b.result)) differences.push('run: result differs');
  for (const [id, na] of a.nodes) {
    const nb = b.nodes.get(id)!;
    const sa = (ta.get(id) ?? []).join(' → ');
    const sb = (tb.get(id) ?? []).join(' → ');
    if (sa !== sb) differences.push(`${id}: transitions differ: recorded [${sa}], replayed [${sb}]`);
    else if (JSON.stringify(na.output) !== JSON.stringify(nb.output)) differences.push(`${id}: output differs`);
  }
  return differences;
}
