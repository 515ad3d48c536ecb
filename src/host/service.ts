/**
 * The app service: one engine over one SQLite database with every runner this host has.
 * The CLI, the web host and the Electron main process all go through it.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { AppError } from '../core/errors.js';
import type { RunEvent } from '../core/events.js';
import type { Graph } from '../core/graph/schema.js';
import { topology } from '../core/graph/topology.js';
import { serializeGraph, validateGraph } from '../core/graph/validate.js';
import { asRunId, type RunId } from '../core/ids.js';
import type { NodeRunner, RunHooks, RunnerServices } from '../core/ports.js';
import type { NodeType } from '../core/graph/schema.js';
import { realClock } from '../core/engine/clock.js';
import { commitEvents } from '../core/engine/commit.js';
import type { RunOutcome } from '../core/engine/context.js';
import { Engine, type Decision } from '../core/engine/engine.js';
import { dryRunPlan, nodesLeft, type DryControl, type DryRunPlan } from '../core/engine/dry-run.js';
import { replayRun, type ReplayReport } from '../core/engine/replay.js';
import { foldEvents } from '../core/engine/state.js';
import { ev } from '../core/events.js';
import { createAgentRunner } from '../core/nodes/agent.js';
import { llmRunner } from '../core/nodes/llm.js';
import { BreakerRegistry, withBreakers, type BreakerSettings } from './breaker.js';
import { chaosFromEnv, installChaos } from './chaos.js';
import { parseGraphFile } from './graph-file.js';
import { testNode, type NodeTestRequest, type NodeTestResult } from './node-test.js';
import { startTelemetry, type Telemetry } from './telemetry.js';
import { CodeSandbox, codeRunner } from './runners/code.js';
import { httpRunner } from './runners/http.js';
import { ProviderRegistry, type ProviderSettings } from './providers/index.js';
import { toRunDetail, type RunDetail } from './run-detail.js';
import {
  openDatabase,
  sha256,
  type ListRunsOptions,
  type OpenOptions,
  type RunSummary,
  type SqliteStore,
} from './store/index.js';

export interface ServiceOptions extends OpenOptions {
  dbPath: string;
  hooks?: RunHooks;
  onHookError?: (hook: string, err: unknown) => void;
  /** Model providers: credentials, price overrides, rate limits (env: STATEPIPE_PRICES, STATEPIPE_LIMITS). */
  providers?: ProviderSettings;
  /** Circuit breakers per provider and http host (threshold, cool-down, clock). */
  breakers?: BreakerSettings;
}

export type { RunDetail, RunOutcome, ReplayReport, DryRunPlan, DryControl, NodeTestRequest, NodeTestResult };

export class StatepipeService {
  readonly engine: Engine;
  readonly providers: ProviderRegistry;
  readonly breakers: BreakerRegistry;
  /** The runners and services of this host (the engine's, and "test one node"'s). */
  private readonly runners: Partial<Record<NodeType, NodeRunner>>;
  private readonly services: RunnerServices;
  private readonly telemetry: Telemetry | undefined;
  private readonly sandbox = new CodeSandbox();
  private readonly owner = {
    id: `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 10)}`,
    pid: process.pid,
  };

  private constructor(
    readonly store: SqliteStore,
    opts: ServiceOptions,
  ) {
    this.providers = new ProviderRegistry(opts.providers ?? {});
    this.breakers = new BreakerRegistry(opts.breakers ?? {});
    this.runners = {
      llm: withBreakers(this.breakers, llmRunner),
      code: codeRunner(this.sandbox),
      http: withBreakers(this.breakers, httpRunner),
      agent: withBreakers(this.breakers, createAgentRunner({ httpTool: httpRunner })),
    };
    this.services = {
      runCode: (code, args, o) => this.sandbox.run(code, args, o),
      fetch: globalThis.fetch.bind(globalThis),
      provider: (name) => this.providers.get(name),
    };
    this.engine = new Engine({
      store,
      clock: realClock,
      runners: this.runners,
      services: this.services,
      owner: this.owner,
      ...(opts.hooks ? { hooks: opts.hooks } : {}),
      ...(opts.onHookError ? { onHookError: opts.onHookError } : {}),
    });
    // OpenTelemetry, only with OTEL_EXPORTER_OTLP_ENDPOINT set: spans from the committed events.
    this.telemetry = startTelemetry({
      subscribe: (fn) => this.engine.subscribe(fn),
      graphOf: (id) => store.loadRun(asRunId(id)).graph,
    });
  }

  /** Opens (creating and migrating) the database. Throws AppError('database') naming the file. */
  static open(opts: ServiceOptions): StatepipeService {
    const { dbPath, hooks: _h, onHookError: _o, providers: _p, breakers: _b, ...openOpts } = opts;
    // Fault injection for `statepipe chaos` only: one env lookup, no wrapper unless it is set.
    const chaos = chaosFromEnv();
    const store = openDatabase(dbPath, openOpts);
    return new StatepipeService(chaos ? installChaos(store, chaos) : store, opts);
  }

  subscribe(fn: (events: RunEvent[]) => void): () => void {
    return this.engine.subscribe(fn);
  }

  /** Reads and validates a graph file; errors name the file. */
  static loadGraphFile(path: string): Graph {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw new AppError(
        'usage',
        `${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message}`,
      );
    }
    return parseGraphFile(text, path);
  }

  loadGraphFile(path: string): Graph {
    return StatepipeService.loadGraphFile(path);
  }

  /** `--dry-run` of a new run: the plan and worst-case tokens; nothing is opened or written. */
  static dryRun(graph: Graph, input?: unknown): Promise<DryRunPlan> {
    return dryRunPlan(graph, topology(graph), input === undefined ? {} : { input });
  }

  /** `--dry-run` of a control on a run: checked as the engine would, then what is left planned. */
  async dryRunControl(
    runId: string,
    control: DryControl,
  ): Promise<DryRunPlan & { graphId: string; tokensSoFar: number; costUsdSoFar: number }> {
    const id = this.known(runId);
    const { graph, events } = this.store.loadRun(id);
    const state = foldEvents(id, graph, events);
    const topo = topology(graph);
    const only = nodesLeft(graph, topo, state, control);
    const outputs: Record<string, { output: unknown }> = {};
    for (const [nodeId, n] of state.nodes)
      if (n.status === 'succeeded' && !only.has(nodeId)) outputs[nodeId] = { output: n.output };
    const plan = await dryRunPlan(graph, topo, { input: state.input, only, outputs });
    return { ...plan, graphId: graph.id, tokensSoFar: state.tokens, costUsdSoFar: state.costUsd };
  }

  /**
   * Creates the run (validating its input). Nothing executes yet. `save` (the default, as the
   * CLI runs files): the graph is saved as a version first; false (a draft run from the studio
   * or the API): the run only keeps its snapshot, no version is added to the graph list.
   */
  createRun(graph: Graph, input: unknown, opts: { save?: boolean } = {}): RunId {
    const valid = validateGraph(graph);
    const json = serializeGraph(valid);
    const hash = opts.save === false ? sha256(json) : this.store.saveGraph(valid, json).hash;
    return this.engine.createRun(valid, input, { graphHash: hash });
  }

  /** Runs one node of a draft with pinned inputs, outside any run (see node-test.ts). */
  testNode(req: NodeTestRequest): Promise<NodeTestResult> {
    return testNode({ runners: this.runners, services: this.services, clock: realClock }, req);
  }

  async startRun(graph: Graph, input: unknown): Promise<RunOutcome> {
    return this.engine.drive(this.createRun(graph, input));
  }

  drive(runId: string): Promise<RunOutcome> {
    return this.engine.drive(this.known(runId));
  }

  resume(runId: string, opts: { budget?: { maxTokens?: number; maxCostUsd?: number } } = {}): Promise<RunOutcome> {
    return this.engine.resume(this.known(runId), opts);
  }

  approve(runId: string, nodeId: string, decision: Decision): Promise<RunOutcome> {
    return this.engine.approve(this.known(runId), nodeId, decision);
  }

  cancel(runId: string) {
    return this.engine.cancel(this.known(runId));
  }

  pause(runId: string) {
    return this.engine.pause(this.known(runId));
  }

  retry(runId: string, nodeId: string): Promise<RunOutcome> {
    return this.engine.retry(this.known(runId), nodeId);
  }

  resolve(runId: string, nodeId: string, output: unknown): Promise<RunOutcome> {
    return this.engine.resolve(this.known(runId), nodeId, output);
  }

  async rerun(runId: string, fromNodeId: string, opts: { reuse?: readonly string[] } = {}): Promise<RunOutcome> {
    const { runId: id } = this.engine.rerun(this.known(runId), fromNodeId, opts);
    return this.engine.drive(id);
  }

  replay(runId: string): Promise<ReplayReport> {
    const id = this.known(runId);
    const { graph, events } = this.store.loadRun(id);
    return replayRun(id, graph, events);
  }

  inspect(runId: string): RunDetail {
    const id = this.known(runId);
    const { graph, events } = this.store.loadRun(id);
    return toRunDetail(graph, foldEvents(id, graph, events));
  }

  list(opts: ListRunsOptions = {}): RunSummary[] {
    return this.store.listRuns(opts);
  }

  events(runId: string, afterSeq = 0): RunEvent[] {
    return this.store.eventsSince(this.known(runId), afterSeq);
  }

  /** The graph file (canonical JSON) of a graph id (latest version) or of the snapshot a run ran. */
  exportGraph(graphIdOrRunId: string): string {
    return this.graphFile(graphIdOrRunId).json;
  }

  /**
   * A graph file with where it comes from: a graph's latest version (or `version`), or the
   * snapshot a run ran (its version, and whether that version is a saved one or a draft's).
   */
  graphFile(
    graphIdOrRunId: string,
    version?: number,
  ): { json: string; graphId: string; version: number; saved: boolean } {
    const row = graphIdOrRunId.startsWith('run_') ? this.store.getRunRow(graphIdOrRunId) : undefined;
    if (row) {
      const json = serializeGraph(this.store.loadRun(asRunId(graphIdOrRunId)).graph);
      const v = this.store.graphVersionOf(row.graphId, row.graphVersion);
      return { json, graphId: row.graphId, version: row.graphVersion, saved: v?.saved ?? true };
    }
    const graph = this.store.getGraph(graphIdOrRunId, version);
    const v = this.store.graphVersionOf(graphIdOrRunId, version);
    return { json: serializeGraph(graph), graphId: graphIdOrRunId, version: v?.version ?? 0, saved: v?.saved ?? true };
  }

  /** Marks runs whose driving process died as `interrupted` (the app does this at start). */
  recoverInterrupted(): string[] {
    const marked: string[] = [];
    for (const r of this.store.findRunsToRecover()) {
      const id = asRunId(r.runId);
      if (!this.store.acquireLease(id, this.owner)) continue;
      try {
        const { graph, events } = this.store.loadRun(id);
        const state = foldEvents(id, graph, events);
        if (state.status === 'running' || state.status === 'queued') {
          commitEvents(this.store, state, [ev('run.interrupted', r.ownerPid ? { ownerPid: r.ownerPid } : {})]);
          marked.push(id);
        }
      } finally {
        this.store.releaseLease(id, this.owner);
      }
    }
    return marked;
  }

  async close(): Promise<void> {
    await this.telemetry?.shutdown();
    await this.sandbox.close();
    this.store.close();
  }

  knownRunId(runId: string): RunId {
    return this.known(runId);
  }

  private known(runId: string): RunId {
    if (!this.store.getRunRow(runId)) throw new AppError('not-found', `run ${runId} not found in ${this.store.file}`);
    return asRunId(runId);
  }
}

export const graphHash = (graph: Graph): string => sha256(serializeGraph(graph));
