/** What the orchestrator asks a child process to measure, and what the child reports back. */
import type { GraphSpec } from './graphs.js';
import type { Latency, MemoryPeak } from './stats.js';

export type EngineMode = 'memory' | 'FULL' | 'NORMAL';
export type Sync = 'FULL' | 'NORMAL';

/** How many times to repeat a measurement: at least minReps, and until minMs passed (at most maxReps). */
export interface Reps {
  minReps: number;
  maxReps: number;
  minMs: number;
}

export type CaseSpec =
  | { kind: 'engine'; mode: EngineMode; graph: GraphSpec; reps: Reps; dir: string }
  | { kind: 'raw'; sync: Sync; txns: number; reps: Reps; dir: string }
  | { kind: 'langgraph'; graph: GraphSpec; timeoutMs: number; dir: string }
  | { kind: 'resume-build'; nodes: number; runs: number; dir: string }
  | { kind: 'resume'; nodes: number; dir: string; runIds: string[] }
  | { kind: 'dashboard'; runs: number; events: number; reps: number; dir: string };

export interface EngineResult {
  kind: 'engine';
  mode: EngineMode;
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
  firstMs: number;
}

export interface DashboardResult {
  kind: 'dashboard';
  runs: number;
  events: number;
  insertMs: number;
  dbMiB: number;
  queries: QueryTiming[];
}

export type CaseResult = EngineResult | RawResult | LangGraphResult | ResumeBuildResult | ResumeResult | DashboardResult;
