/**
 * The app service: one engine over one store (a SQLite file or a PostgreSQL database) with every runner this host has.
 * The CLI, the web host and the Electron main process all go through it.
 */
import { readFileSync } from 'node:fs';
import { AppError } from '../core/errors.js';
import type { RunEvent } from '../core/events.js';
import type { Graph } from '../core/graph/schema.js';
import { topology } from '../core/graph/topology.js';
import { serializeGraph, validateGraph } from '../core/graph/validate.js';
import { asRunId, type RunId } from '../core/ids.js';
import type { RunHooks, RunnerServices } from '../core/ports.js';
import { realClock } from '../core/engine/clock.js';
import type { RunnerRegistry, RunOutcome } from '../core/engine/context.js';
import { Engine, type Decision, type HandOff } from '../core/engine/engine.js';
import { dryRunPlan, nodesLeft, type DryControl, type DryRunPlan } from '../core/engine/dry-run.js';
import { replayRun, type ReplayReport } from '../core/engine/replay.js';
import { foldEvents } from '../core/engine/state.js';
import { createAgentRunner } from '../core/nodes/agent/runner.js';
import { llmRunnerOnFirstCall } from '../core/nodes/llm/index.js';
import { BreakerRegistry, withBreakers, type BreakerSettings } from './breaker.js';
import { parseGraphFile } from './graph-file.js';
import { completeGraph, savedGraph } from './graph-library.js';
import { testNode, type NodeTestRequest, type NodeTestResult } from './node-test.js';
import { openProcessStore, processOwner, recoverInterrupted } from './recover.js';
import { startTelemetry, type Telemetry } from './telemetry.js';
import { CodeSandbox, codeRunner } from './runners/code.js';
import { httpRunner } from './runners/http.js';
import { defaultTransport } from './runners/http-transport.js';
import { verifyEffect } from './runners/http-verify.js';
import { ProviderRegistry, type ProviderSettings } from './providers/index.js';
import { knownRun, type RunDetail } from './run-detail.js';
import { shownRun, shownRuns } from './shown-status.js';
import { COMMIT_LINGER_MS } from './commit-linger.js';
import { DispatchedChildren } from './workers/children.js';
import type { PostgresStore } from './store/pg/pg-store.js';
import { sha256, type ListRunsOptions, type RunSummary, type Store, type StoreOptions } from './store/index.js';

export interface ServiceOptions extends StoreOptions {
  /** A SQLite file path or a PostgreSQL URL (`postgres://…`): docs/scale-out.md "Selecting the store". */
  dbPath: string;
  hooks?: RunHooks;
  onHookError?: (hook: string, err: unknown) => void;
  /** Model providers: credentials, price overrides, rate limits (env: STATEPIPE_PRICES, STATEPIPE_LIMITS). */
  providers?: ProviderSettings;
  /** Circuit breakers per provider and http host (threshold, cool-down, clock). */
  breakers?: BreakerSettings;
  /** The lease owner's name (a worker's `--name`); the process id is added. */
  ownerName?: string;
  /**
   * A worker's: queues a child run (of a map, subgraph or loop node) for the workers instead of
   * driving it in this process (workers/children.ts).
   */
  childQueue?: (runId: RunId, parentRunId: string) => Promise<void>;
}

export type { RunDetail, RunOutcome, ReplayReport, DryRunPlan, DryControl, NodeTestRequest, NodeTestResult };

export class StatepipeService {
  readonly engine: Engine;
  readonly providers: ProviderRegistry;
  readonly breakers: BreakerRegistry;
  /** The runners and services of this host (the engine's, and "test one node"'s). */
  private readonly runners: RunnerRegistry;
  private readonly services: RunnerServices;
  private readonly telemetry: Telemetry | undefined;
  private readonly sandbox = new CodeSandbox();
  private readonly owner: { id: string; pid: number };
  /** With `childQueue`: the children this process waits for on other workers. */
  readonly children: DispatchedChildren | undefined;

  private constructor(
    readonly store: Store,
    opts: ServiceOptions,
  ) {
    this.owner = processOwner(opts.ownerName);
    this.providers = new ProviderRegistry(opts.providers ?? {});
    // On PostgreSQL the minute of requests and tokens is every process's on the database.
    if (store.kind === 'postgres') {
      const pgStore = store as PostgresStore;
      this.providers.limits.shareWith((name, l) => pgStore.rateWindow(name, l));
    }
    this.breakers = new BreakerRegistry(opts.breakers ?? {});
    this.runners = {
      llm: withBreakers(this.breakers, llmRunnerOnFirstCall),
      code: codeRunner(this.sandbox),
      http: withBreakers(this.breakers, httpRunner),
      agent: withBreakers(this.breakers, createAgentRunner({ httpTool: httpRunner })),
    };
    this.services = {
      runCode: (code, args, o) => this.sandbox.run(code, args, o),
      fetch: globalThis.fetch.bind(globalThis),
      http: defaultTransport,
      provider: (name) => this.providers.get(name),
      verifyEffect: (req) => verifyEffect(req),
    };
    const queue = opts.childQueue;
    this.children = queue ? new DispatchedChildren(() => this.engine, store, queue) : undefined;
    this.engine = new Engine({
      store,
      clock: realClock,
      runners: this.runners,
      services: this.services,
      owner: this.owner,
      hashGraph: (graph) => sha256(serializeGraph(graph)),
      commitLingerMs: COMMIT_LINGER_MS,
      ...(this.children ? { childEngine: this.children.childEngine() } : {}),
      ...(opts.hooks ? { hooks: opts.hooks } : {}),
      ...(opts.onHookError ? { onHookError: opts.onHookError } : {}),
    });
    // OpenTelemetry, only with OTEL_EXPORTER_OTLP_ENDPOINT set: spans from the committed events.
    this.telemetry = startTelemetry({
      subscribe: (fn) => this.engine.subscribe(fn),
      graphOf: async (id) => (await store.loadRun(asRunId(id))).graph,
    });
  }

  /**
   * Opens (creating and migrating) the store. Throws AppError('database') naming the file, or the
   * URL without its password.
   */
  static async open(opts: ServiceOptions): Promise<StatepipeService> {
    const {
      dbPath,
      hooks: _h,
      onHookError: _o,
      providers: _p,
      breakers: _b,
      ownerName: _n,
      childQueue: _c,
      ...openOpts
    } = opts;
    return new StatepipeService(await openProcessStore(dbPath, openOpts), opts);
  }

  subscribe(fn: (events: RunEvent[]) => void): () => void {
    return this.engine.subscribe(fn);
  }

  /**
   * Reads a graph file and fills its library (graphs its subgraph, map and loop nodes name: files
   * next to it, graphs saved here); validated whole. Errors name the file.
   */
  async loadGraphFile(path: string): Promise<Graph> {
    let text: Buffer;
    try {
      text = readFileSync(path); // bytes: parseGraphFile refuses invalid UTF-8 instead of replacing it
    } catch (err) {
      const code = (err as { code?: string }).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
      throw new AppError('usage', `${path}: ${why}`);
    }
    const graph = parseGraphFile(text, path, { missing: 'ignore' });
    return completeGraph(graph, { file: path, saved: (id) => this.savedGraph(id) }, path);
  }

  /**
   * A graph checked whole as it is saved or validated from the studio and the API: its composition
   * nodes' graphs are found as when a run starts (the library, else a graph saved here), so a graph
   * that names a saved graph is not refused. Returned as it was written (saved graphs stay named,
   * not copied into its library: a run takes their latest version).
   */
  async checkGraph(graph: unknown): Promise<Graph> {
    const valid = validateGraph(graph, undefined, { missing: 'ignore' });
    await completeGraph(valid, { saved: (id) => this.savedGraph(id) });
    return valid;
  }

  /** A graph saved in this database (its latest saved version), or undefined. */
  private savedGraph(graphId: string): Promise<Graph | undefined> {
    return savedGraph(this.store, graphId);
  }

  /** `--dry-run` of a new run: the plan and worst-case tokens; nothing is opened or written. */
  static dryRun(graph: Graph, input?: unknown): Promise<DryRunPlan> {
    return dryRunPlan(graph, topology(graph), input === undefined ? {} : { input });
  }

  /** `--dry-run` of a control on a run: checked as the engine would, then what is left planned. */
  async dryRunControl(
    runId: string,
    control: DryControl,
  ): Promise<DryRunPlan & { runId: string; graphId: string; tokensSoFar: number; costUsdSoFar: number }> {
    const id = await this.known(runId);
    const { graph, events } = await this.store.loadRun(id);
    if (control.kind === 'approve' && !graph.nodes.some((n) => n.id === control.nodeId)) {
      // Not a node of this run: the approval a waiting child run holds, as approve decides it.
      const child = await this.engine.childWaitingAt(id, control.nodeId);
      if (child) return this.dryRunControl(child, control);
    }
    const state = foldEvents(id, graph, events);
    const topo = topology(graph);
    const only = nodesLeft(graph, topo, state, control);
    const outputs: Record<string, { output: unknown }> = {};
    for (const [nodeId, n] of state.nodes)
      if (n.status === 'succeeded' && !only.has(nodeId)) outputs[nodeId] = { output: n.output };
    const plan = await dryRunPlan(graph, topo, { input: state.input, only, outputs });
    return { ...plan, runId: id, graphId: graph.id, tokensSoFar: state.tokens, costUsdSoFar: state.costUsd };
  }

  /**
   * Creates the run (validating its input). Nothing executes yet. `save` (the default, as the
   * CLI runs files): the graph is saved as a version first; false (a draft run from the studio
   * or the API): the run only keeps its snapshot, no version is added to the graph list.
   */
  async createRun(
    graph: Graph,
    input: unknown,
    opts: { save?: boolean; idempotencyKey?: { key: string; requestHash?: string } } = {},
  ): Promise<RunId> {
    // The graphs its composition nodes run come along in its library: the run's snapshot is whole.
    const valid = await completeGraph(graph, { saved: (id) => this.savedGraph(id) });
    const json = serializeGraph(valid);
    const { save, ...keyed } = opts;
    const hash = save === false ? sha256(json) : (await this.store.saveGraph(valid, json)).hash;
    return this.engine.createRun(valid, input, { graphHash: hash, ...keyed });
  }

  /** Runs one node of a draft with pinned inputs, outside any run (see node-test.ts). */
  testNode(req: NodeTestRequest): Promise<NodeTestResult> {
    return testNode({ runners: this.runners, services: this.services, clock: realClock }, req);
  }

  async startRun(graph: Graph, input: unknown): Promise<RunOutcome> {
    return this.engine.drive(await this.createRun(graph, input));
  }

  async drive(runId: string): Promise<RunOutcome> {
    return this.engine.drive(await this.known(runId));
  }

  async resume(
    runId: string,
    opts: { budget?: { maxTokens?: number; maxCostUsd?: number } } & HandOff = {},
  ): Promise<RunOutcome> {
    return this.engine.resume(await this.known(runId), opts);
  }

  async approve(runId: string, nodeId: string, decision: Decision, opts: HandOff = {}): Promise<RunOutcome> {
    return this.engine.approve(await this.known(runId), nodeId, decision, opts);
  }

  async cancel(runId: string, opts: Pick<HandOff, 'accepted'> = {}) {
    return this.engine.cancel(await this.known(runId), opts);
  }

  async pause(runId: string) {
    return this.engine.pause(await this.known(runId));
  }

  async retry(runId: string, nodeId: string, opts: HandOff = {}): Promise<RunOutcome> {
    return this.engine.retry(await this.known(runId), nodeId, opts);
  }

  async resolve(runId: string, nodeId: string, output: unknown, opts: HandOff = {}): Promise<RunOutcome> {
    return this.engine.resolve(await this.known(runId), nodeId, output, opts);
  }

  /** A new run reusing the recorded outputs above `fromNodeId` (created, not driven). */
  async createRerun(runId: string, fromNodeId: string, opts: { reuse?: readonly string[] } = {}): Promise<RunId> {
    return (await this.engine.rerun(await this.known(runId), fromNodeId, opts)).runId;
  }

  async rerun(runId: string, fromNodeId: string, opts: { reuse?: readonly string[] } = {}): Promise<RunOutcome> {
    return this.engine.drive(await this.createRerun(runId, fromNodeId, opts));
  }

  /** Replays a run from its record, and each of its child runs from theirs (differences name the child). */
  async replay(runId: string): Promise<ReplayReport> {
    const id = await this.known(runId);
    const { graph, events } = await this.store.loadRun(id);
    const report = await replayRun(id, graph, events);
    for (const child of await this.store.listRuns({ parentRunId: id, limit: 1_000_000, order: 'asc' })) {
      const c = await this.replay(child.runId);
      report.nodesCompared += c.nodesCompared;
      report.differences.push(...c.differences.map((d) => `child ${child.runId}: ${d}`));
    }
    report.matches = report.differences.length === 0;
    return report;
  }

  /** A run as `inspect` and the HTTP API show it (one whose process died reads `interrupted`). */
  inspect(runId: string): Promise<RunDetail> {
    return shownRun(this.store, runId);
  }

  /** Runs as `list` and the HTTP API show them (one whose process died reads `interrupted`). */
  async list(opts: ListRunsOptions = {}): Promise<RunSummary[]> {
    return (await shownRuns(this.store, opts)).runs;
  }

  async events(runId: string, afterSeq = 0): Promise<RunEvent[]> {
    return this.store.eventsSince(await this.known(runId), afterSeq);
  }

  /** The graph file (canonical JSON) of a graph id (latest version) or of the snapshot a run ran. */
  async exportGraph(graphIdOrRunId: string): Promise<string> {
    return (await this.graphFile(graphIdOrRunId)).json;
  }

  /**
   * A graph file with where it comes from: a graph's latest version (or `version`), or the
   * snapshot a run ran (its version, and whether that version is a saved one or a draft's).
   */
  async graphFile(
    graphIdOrRunId: string,
    version?: number,
  ): Promise<{ json: string; graphId: string; version: number; saved: boolean }> {
    const row = graphIdOrRunId.startsWith('run_') ? await this.store.getRunRow(graphIdOrRunId) : undefined;
    if (row) {
      const json = serializeGraph((await this.store.loadRun(asRunId(graphIdOrRunId))).graph);
      const v = await this.store.graphVersionOf(row.graphId, row.graphVersion);
      return { json, graphId: row.graphId, version: row.graphVersion, saved: v?.saved ?? true };
    }
    const graph = await this.store.getGraph(graphIdOrRunId, version).catch((err: unknown) => {
      if (err instanceof AppError && err.code === 'not-found' && version === undefined) return undefined;
      throw err;
    });
    if (!graph) throw new AppError('not-found', `no graph or run ${graphIdOrRunId} in this database`);
    const v = await this.store.graphVersionOf(graphIdOrRunId, version);
    return { json: serializeGraph(graph), graphId: graphIdOrRunId, version: v?.version ?? 0, saved: v?.saved ?? true };
  }

  /** Marks runs whose driving process died as `interrupted` (the app does this at start). */
  recoverInterrupted(): Promise<string[]> {
    return recoverInterrupted(this.store, this.owner);
  }

  /**
   * Marks runs as `interrupted` whenever their driving process dies (another CLI or app on the same
   * database, killed), every `everyMs`, so a studio open meanwhile shows them resumable instead of
   * running forever. Stopped by close().
   */
  watchForDeadRuns(everyMs = 3_000): void {
    if (this.deadRunWatch) return;
    let busy = false;
    this.deadRunWatch = setInterval(() => {
      if (busy) return;
      busy = true;
      recoverInterrupted(this.store, this.owner)
        .catch(() => undefined) // the store closing, or busy: the next look tries again
        .finally(() => (busy = false));
    }, everyMs);
    this.deadRunWatch.unref?.();
  }

  private deadRunWatch: ReturnType<typeof setInterval> | undefined;

  /** Set while the host stops (orderly-stop.ts): the drives it gives up fail, and that is not news. */
  stopping = false;

  /**
   * Gives up this process's hold on a run it drives (a worker's drain): the lease is taken anew
   * (its epoch moves on, so the old driver's next write is fenced) and released for another
   * process, the run reading `queued` for the workers in the same write (live views are told).
   */
  async handBack(runId: string): Promise<void> {
    const id = asRunId(runId);
    const lease = await this.store.acquireLease(id, this.owner);
    if (!lease) return;
    if (this.store.releaseToWorkers) await this.store.releaseToWorkers(id, lease);
    else await this.store.releaseLease(id, lease);
  }

  async close(): Promise<void> {
    if (this.deadRunWatch) clearInterval(this.deadRunWatch);
    await this.telemetry?.shutdown();
    await this.sandbox.close();
    await this.store.close();
  }

  knownRunId(runId: string): Promise<RunId> {
    return this.known(runId);
  }

  private known(runId: string): Promise<RunId> {
    return knownRun(this.store, runId);
  }
}

export const graphHash = (graph: Graph): string => sha256(serializeGraph(graph));
