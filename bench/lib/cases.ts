/** What the orchestrator asks a child process to measure, and what the child reports back. */
import type { GraphSpec } from './graphs.js';
import type { FrameStats } from './browser.js';
import type { CliResult, CliSpec } from './cli-case.js';
import type { EffectResult, EffectSpec } from './effect-case.js';
import type { RestateResult, RestateSpec } from './restate-case.js';
import type { ScaleDb } from './scale-db.js';
import type { ServeResult, ServeSpec } from './serve-case.js';
import type { Latency, MemoryPeak, Reps } from './stats.js';
import type { WorkersResult, WorkersSpec } from './workers-case.js';

export type { CliResult, ScaleDb, ServeResult };

export type EngineMode = 'memory' | 'FULL' | 'NORMAL' | 'postgres';
export type Sync = 'FULL' | 'NORMAL';

export type { Reps } from './stats.js';

export type CaseSpec =
  | { kind: 'engine'; mode: EngineMode; graph: GraphSpec; reps: Reps; dir: string; perNode?: boolean; url?: string }
  | { kind: 'pg-raw'; url: string; txns: number; reps: Reps; dir: string }
  | { kind: 'pg-dashboard'; url: string; runs: number; reps: number; dir: string }
  | { kind: 'raw'; sync: Sync; txns: number; reps: Reps; dir: string }
  | { kind: 'langgraph'; graph: GraphSpec; timeoutMs: number; dir: string }
  | { kind: 'resume-build'; nodes: number; runs: number; dir: string }
  | { kind: 'resume'; nodes: number; dir: string; runIds: string[] }
  | { kind: 'dashboard'; file: string; runs: number; events: number; sampleRunId: string; reps: number; dir: string }
  | { kind: 'scale-db'; runs: number; events: number; dir: string }
  | CliSpec
  | WorkersSpec
  | StepsSpec
  | EffectSpec
  | RestateSpec
  | ServeSpec
  | { kind: 'map'; items: number; flat: boolean; dir: string }
  | { kind: 'map-resume-build'; items: number; dir: string }
  | { kind: 'map-resume'; runId: string; dir: string }
  | StreamingSpec
  | CanvasSpec
  | LoadSpec;

/** The studio's first load (cold cache) next to a blank page from the same server, `reps` times each. */
export interface LoadSpec {
  kind: 'load';
  reps: number;
  dir: string;
}

export interface LoadResult {
  kind: 'load';
  reps: number;
  /** Median load event of a blank page from the same web host (ms since navigation). */
  blankLoadMs: number;
  /** Median time until the editor is interactive (the `statepipe:interactive` mark). */
  studioTtiMs: number;
  /** studioTtiMs / blankLoadMs. */
  ratio: number;
  /** JavaScript whose response ended before interactive (decoded bytes; the most of the reps). */
  jsBytesBeforeTti: number;
  files: { name: string; bytes: number }[];
  monacoAtStart: boolean;
  elkAtStart: boolean;
  /** Monaco loaded once a code field opened; elk once Layout was pressed. */
  monacoOnField: boolean;
  elkOnLayout: boolean;
}

export interface StreamingSpec {
  kind: 'streaming';
  /** Frames recorded on the idle studio first (the page's floor on this machine). */
  idleMs: number;
  /** A delay before the streams: the page opens the run and settles before the first token. */
  waitMs: number;
  runs: { streams: number; tokensPerSecond: number; tokens: number }[];
  dir: string;
}

export interface StreamingRun {
  streams: number;
  nominalTokensPerSecond: number;
  tokensPerReply: number;
  status: string;
  runMs: number;
  /** From runs.start until the page had opened the run and frame recording began. */
  openedMs: number;
  /** `node.tokens` events in the store (the engine flushes a stream's tokens every 250 ms). */
  committedEvents: number;
  producedTokens: number;
  /** Tokens committed per second in the store (sum of the streams' rates). */
  producedPerSec: number;
  producedPerStreamSec: number[];
  deliveredTokens: number;
  /** Tokens arriving in the page over the WebSocket per second (sum of the streams' rates). */
  deliveredPerSec: number;
  deliveredMessages: number;
  deliveredBytes: number;
  /** deliveredPerSec / producedPerSec. */
  ratio: number;
  /** Every token of every reply was committed and delivered. */
  complete: boolean;
  /** Streams whose whole text is in the page's run view / whose end shows in its canvas node. */
  foldedStreams: number;
  shownStreams: number;
  frames: FrameStats;
}

export interface StreamingResult {
  kind: 'streaming';
  idle: FrameStats;
  runs: StreamingRun[];
}

export interface CanvasGraphSpec {
  /** Delay nodes (chains × levels); the graph also has one input node. */
  nodes: number;
  /** Edges in total (input → chain heads, the chains, and cross edges). */
  edges: number;
  chains: number;
}

export interface CanvasSpec {
  kind: 'canvas';
  graphs: CanvasGraphSpec[];
  delayMs: number;
  idleMs: number;
  panMs: number;
  zoomMs: number;
  liveMs: number;
  dir: string;
}

export interface CanvasGraphResult {
  nodes: number;
  edges: number;
  chains: number;
  /** Import through the file input until every node is in the DOM. */
  openMs: number;
  openLongTaskMaxMs: number;
  idle: FrameStats;
  pan: FrameStats;
  zoom: FrameStats;
  /** While runs of the graph move `chains` nodes through their states every delayMs. */
  live: FrameStats;
  liveRuns: number;
  liveStatus: string;
  stateEvents: number;
  /** Node state events (started/succeeded/…) arriving in the page per second. */
  statesPerSec: number;
  /** Run click until the second level of nodes shows running (mean over the runs). */
  runStartMs: number;
  runStartLongTaskMaxMs: number;
}

export interface CanvasResult {
  kind: 'canvas';
  delayMs: number;
  graphs: CanvasGraphResult[];
}

export interface EngineResult {
  kind: 'engine';
  mode: EngineMode;
  /** Group commit off: every node's end commits alone. */
  perNode?: boolean;
  graph: GraphSpec;
  nodes: number;
  reps: number;
  /** Median wall time of one run (createRun through the run's end). */
  wallMs: number;
  nodesPerSec: number;
  usPerNode: number;
  /** Median wall time per node not spent inside store writes: the engine's own CPU. */
  engineUsPerNode: number;
  appends: number;
  writes: number;
  /** Median wall time of the run divided by its write transactions. */
  usPerWrite: number;
  commit: Latency;
  memory: MemoryPeak;
  status: string;
}

export interface RawResult {
  kind: 'raw';
  sync: Sync;
  txns: number;
  reps: number;
  usPerTxn: number;
  commit: Latency;
}

/** A raw one-row INSERT transaction on PostgreSQL (the limit of a durable checkpoint per node there). */
export interface PgRawResult {
  kind: 'pg-raw';
  txns: number;
  reps: number;
  usPerTxn: number;
  commit: Latency;
  /** The server's durability settings during the case. */
  settings: string;
}

export interface LangGraphResult {
  kind: 'langgraph';
  graph: GraphSpec;
  nodes: number;
  available: boolean;
  note?: string;
  wallMs?: number;
  nodesPerSec?: number;
  usPerNode?: number;
  synchronous?: string;
  checkpoints?: number;
  writes?: number;
  timedOut?: boolean;
  memory?: MemoryPeak;
}

export interface ResumeBuildResult {
  kind: 'resume-build';
  runIds: string[];
  eventsPerRun: number;
  buildMs: number;
}

export interface ResumeResult {
  kind: 'resume';
  nodes: number;
  eventsInLog: number;
  /** StatepipeService.open on the file (schema check, WAL). */
  openMs: number;
  /** service.recoverInterrupted(): the startup scan that marks the crashed run interrupted. */
  recoverScanMs: number;
  /** service.resume(run) until the first remaining node's node.started is committed (cold process). */
  firstNodeColdMs: number;
  /** The same on a second interrupted run, in the now warm process. */
  firstNodeWarmMs: number;
  /** engine.drive(run) (no double load) until the first node.started, warm. */
  driveFirstNodeWarmMs: number;
  /** Whole resumed drive (5 000 remaining nodes) minus a fresh 5 000-node chain in the same process. */
  fullResumeMs: number;
  freshRemainderMs: number;
  breakdown: { loadRunMs: number; foldMs: number; topologyMs: number; eventsParseMs: number };
}

export interface QueryTiming {
  name: string;
  rows: number;
  p50Ms: number;
  p95Ms: number;
  /** CPU time of the call (user + system): what the query costs, whatever else runs on the machine. */
  cpuP50Ms: number;
  cpuP95Ms: number;
  firstMs: number;
}

export interface DashboardResult {
  kind: 'dashboard';
  runs: number;
  events: number;
  /** PostgreSQL's case loads its own runs: how long that took and the size it made (SQLite's: ScaleDb). */
  insertMs?: number;
  dbMiB?: number;
  queries: QueryTiming[];
}

/** A map of `items` children of a 3-node pure graph, or (`flat`) the same nodes as one graph. */
export interface MapResult {
  kind: 'map';
  flat: boolean;
  items: number;
  nodes: number;
  status: string;
  wallMs: number;
  nodesPerSec: number;
  peakRssDeltaMiB: number;
  maxRssMiB: number;
}

export interface MapResumeBuildResult {
  kind: 'map-resume-build';
  runId: string;
  childrenFinished: number;
  parentEvents: number;
}

export interface MapResumeResult {
  kind: 'map-resume';
  status: string;
  /** From `resume` until the first child run started (or resumed) again. */
  firstChildMs: number;
  totalMs: number;
}

/** One speed target of the report: its goal, what was measured, and whether it was met. */
export interface Target {
  name: string;
  goal: string;
  measured: string;
  met: boolean | null;
}

export type CaseResult =
  | MapResult
  | MapResumeBuildResult
  | MapResumeResult
  | EngineResult
  | RawResult
  | PgRawResult
  | LangGraphResult
  | ResumeBuildResult
  | ResumeResult
  | DashboardResult
  | ScaleDb
  | CliResult
  | WorkersResult
  | StepsResult
  | EffectResult
  | RestateResult
  | ServeResult
  | StreamingResult
  | CanvasResult
  | LoadResult;

/** The steps cases on PostgreSQL (dbos-case.ts): a chain of statepipe nodes, or a DBOS workflow. */
export type ChainFlavor = 'dbos' | 'pure' | 'effects';

export interface StepsSpec {
  kind: 'pg-steps';
  flavor: ChainFlavor;
  url: string;
  steps: number;
  reps: Reps;
  dir: string;
}

export interface StepsResult {
  kind: 'pg-steps';
  flavor: ChainFlavor;
  steps: number;
  reps: number;
  /** Median wall time of one run / workflow. */
  wallMs: number;
  usPerStep: number;
  /** effects: a raw GET to the same server from this process (µs, median), subtracted from usPerStep. */
  effectUs?: number;
  status: string;
  /** DBOS: the package version, or why it could not run. */
  note?: string;
}
