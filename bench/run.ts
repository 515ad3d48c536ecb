/**
 * `npm run bench [-- --quick] [-- --only engine,effects,langgraph,resume,cli,dashboard,serve,pg,scaleout,control,streaming,canvas,load,map] [-- --profile]`
 * Runs every case in a fresh child process, side by side in one run, prints the report and
 * writes bench/results/latest.{md,json}. Never fails: a case that breaks is reported as such.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { COMMIT_LINGER_MS } from '../src/host/commit-linger.js';
import { ensureRenderer } from './lib/browser.js';
import type { EffectResult } from './lib/effect-case.js';
import type { RestateResult } from './lib/restate-case.js';
import type {
  CanvasResult,
  CanvasSpec,
  CaseResult,
  CaseSpec,
  LoadResult,
  EngineMode,
  EngineResult,
  LangGraphResult,
  MapResult,
  MapResumeBuildResult,
  MapResumeResult,
  RawResult,
  Reps,
  ResumeBuildResult,
  ResumeResult,
  DashboardResult,
  ScaleDb,
  CliResult,
  ServeResult,
  StreamingResult,
  StreamingSpec,
} from './lib/cases.js';
import { graphLabel, type GraphSpec } from './lib/graphs.js';
import { controlCase } from './lib/control-case.js';
import { pgCases } from './lib/pg-run.js';
import { rawKey, renderReport, type Collected } from './lib/report.js';
import type { MapBench } from './lib/report-map.js';
import { runChild, type Outcome } from './lib/spawn.js';
import { machineInfo } from './lib/stats.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const profile = argv.includes('--profile');
const onlyArg =
  argv.find((a) => a.startsWith('--only='))?.slice(7) ??
  (argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined);
const only = new Set(
  (onlyArg ?? 'engine,effects,langgraph,resume,cli,dashboard,serve,pg,control,streaming,canvas,load,map').split(','),
);

const PLAN = quick
  ? {
      engineGraphs: [
        { shape: 'chain', n: 1000 },
        { shape: 'fanout', n: 1000 },
        { shape: 'dag', n: 2000 },
        { shape: 'dag', n: 250 },
      ] as GraphSpec[],
      flatness: [
        { shape: 'dag', n: 2000 },
        { shape: 'dag', n: 250 },
      ] as [GraphSpec, GraphSpec],
      peerGraphs: [
        { shape: 'chain', n: 250 },
        { shape: 'fanout', n: 250 },
      ] as GraphSpec[],
      peerTimeoutMs: 20_000,
      reps: {
        memory: { minReps: 2, maxReps: 10, minMs: 300 },
        FULL: { minReps: 1, maxReps: 1, minMs: 0 },
        NORMAL: { minReps: 1, maxReps: 3, minMs: 200 },
      },
      effects: { nodes: 200, restateSteps: 100, reps: { minReps: 1, maxReps: 3, minMs: 500 } },
      resumeNodes: 10_000,
      // --quick: the scale cases on the 10 000-run database (the full run: 100 000 runs / 10 M events).
      scale: { runs: 10_000, events: 1_000_000 },
      dashboardReps: 20,
      cliRounds: 6,
      serve: { inProgress: 50, sampleMs: 3000 },
      pg: {
        graphs: [
          { shape: 'chain', n: 250 },
          { shape: 'fanout', n: 250 },
        ] as GraphSpec[],
        reps: { minReps: 1, maxReps: 2, minMs: 0 },
        dashboard: { runs: 100_000, reps: 20 },
        scaleOut: {
          workers: { runs: 200, counts: [1, 2, 4], concurrency: [4, 16] },
          steps: { steps: 100, reps: { minReps: 2, maxReps: 5, minMs: 500 } },
        },
      },
      streaming: {
        idleMs: 1000,
        waitMs: 2000,
        runs: [
          { streams: 5, tokensPerSecond: 2000, tokens: 2500 },
          { streams: 16, tokensPerSecond: 2000, tokens: 2500 },
        ],
      },
      canvas: { delayMs: 100, idleMs: 1000, panMs: 1500, zoomMs: 1500, liveMs: 1500 },
      map: { items: [200, 1000], resumeItems: 1000 },
    }
  : {
      engineGraphs: [
        { shape: 'chain', n: 1000 },
        { shape: 'fanout', n: 1000 },
        { shape: 'dag', n: 5000 },
        { shape: 'chain', n: 250 },
        { shape: 'fanout', n: 250 },
        { shape: 'dag', n: 250 },
      ] as GraphSpec[],
      flatness: [
        { shape: 'dag', n: 5000 },
        { shape: 'dag', n: 250 },
      ] as [GraphSpec, GraphSpec],
      peerGraphs: [
        { shape: 'chain', n: 1000 },
        { shape: 'chain', n: 2000 },
        { shape: 'fanout', n: 1000 },
      ] as GraphSpec[],
      peerTimeoutMs: 90_000,
      reps: {
        memory: { minReps: 3, maxReps: 30, minMs: 1500 },
        FULL: { minReps: 1, maxReps: 3, minMs: 1500 },
        NORMAL: { minReps: 2, maxReps: 10, minMs: 1000 },
      },
      effects: { nodes: 500, restateSteps: 200, reps: { minReps: 2, maxReps: 5, minMs: 1500 } },
      resumeNodes: 10_000,
      scale: { runs: 100_000, events: 10_000_000 },
      dashboardReps: 50,
      cliRounds: 20,
      serve: { inProgress: 50, sampleMs: 6000 },
      pg: {
        graphs: [
          { shape: 'chain', n: 1000 },
          { shape: 'fanout', n: 1000 },
          { shape: 'dag', n: 1000 },
        ] as GraphSpec[],
        reps: { minReps: 1, maxReps: 3, minMs: 1500 },
        dashboard: { runs: 1_000_000, reps: 50 },
        scaleOut: {
          workers: { runs: 400, counts: [1, 2, 4], concurrency: [4, 16] },
          steps: { steps: 100, reps: { minReps: 5, maxReps: 30, minMs: 2000 } },
        },
      },
      streaming: {
        idleMs: 2000,
        waitMs: 2500,
        runs: [
          { streams: 5, tokensPerSecond: 2000, tokens: 8000 },
          { streams: 16, tokensPerSecond: 2000, tokens: 8000 },
        ],
      },
      canvas: { delayMs: 100, idleMs: 2000, panMs: 4000, zoomMs: 4000, liveMs: 4000 },
      map: { items: [1000, 10_000], resumeItems: 10_000 },
    };

/** The database `list` is timed on in the CLI case (and the scale cases' with --quick). */
const LIST_DB = { runs: 10_000, events: 1_000_000 };

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'statepipe-bench-'));
const resultsDir = path.join(HERE, 'results');
const profileDir = profile ? path.join(resultsDir, 'profiles') : undefined;
fs.mkdirSync(resultsDir, { recursive: true });
if (profileDir) fs.mkdirSync(profileDir, { recursive: true });

const failures: string[] = [];
const log = (s: string): void => void process.stderr.write(`${s}\n`);

/** Flushes dirty pages left by the previous case, so its writeback does not slow the next case's fsyncs. */
function settleDisk(): void {
  try {
    execFileSync('sync', { stdio: 'ignore' });
  } catch {
    /* not on this platform */
  }
}

/** The commit and a fingerprint of the engine and store sources the figures came from (others edit them). */
function sourceRevision(): string {
  const root = path.join(HERE, '..');
  let head = 'unknown';
  let dirty = '';
  try {
    head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    dirty = execFileSync('git', ['status', '--porcelain', '--', 'src/core/engine', 'src/host/store'], {
      cwd: root,
      encoding: 'utf8',
    }).trim();
  } catch {
    /* not a git checkout */
  }
  const h = createHash('sha256');
  for (const dir of ['src/core/engine', 'src/host/store']) {
    for (const f of fs
      .readdirSync(path.join(root, dir))
      .filter((x) => x.endsWith('.ts'))
      .sort())
      h.update(fs.readFileSync(path.join(root, dir, f)));
  }
  return `${head}${dirty ? ' + uncommitted changes' : ''}, engine+store sources ${h.digest('hex').slice(0, 10)}`;
}

async function child<R extends CaseResult>(label: string, spec: CaseSpec, timeoutMs = 300_000): Promise<R | undefined> {
  settleDisk();
  const caseDir = fs.mkdtempSync(path.join(work, 'case-'));
  const o: Outcome<R> = await runChild<R>(
    { ...spec, dir: caseDir },
    { timeoutMs, ...(profileDir ? { profileDir } : {}) },
  );
  fs.rmSync(caseDir, { recursive: true, force: true });
  log(`  ${label}: ${o.ok ? 'ok' : `FAILED (${o.error})`} in ${(o.ms / 1000).toFixed(1)} s`);
  if (!o.ok) {
    failures.push(`${label}: ${o.error}`);
    return undefined;
  }
  return o.result;
}

/** Cases sharing one folder (the resume fixture is built by one child and read by the next). */
async function sharedChild<R extends ResumeBuildResult | ResumeResult | MapResumeBuildResult | MapResumeResult>(
  label: string,
  spec: CaseSpec,
  timeoutMs: number,
): Promise<R | undefined> {
  settleDisk();
  const o: Outcome<R> = await runChild<R>(spec, { timeoutMs, ...(profileDir ? { profileDir } : {}) });
  log(`  ${label}: ${o.ok ? 'ok' : `FAILED (${o.error})`} in ${(o.ms / 1000).toFixed(1)} s`);
  if (!o.ok) failures.push(`${label}: ${o.error}`);
  return o.ok ? o.result : undefined;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const probe = new Database(':memory:');
  const sqliteVersion = String(probe.prepare('SELECT sqlite_version()').pluck().get());
  probe.close();
  const c: Collected = {
    machine: machineInfo(sqliteVersion),
    revision: sourceRevision(),
    quick,
    startedAt: new Date().toISOString(),
    totalSec: 0,
    engine: [],
    raw: {},
    langgraph: [],
    failures,
    flatness: PLAN.flatness,
  };
  log(
    `statepipe bench${quick ? ' --quick' : ''}: ${c.machine.cpus} cores, ${c.machine.memoryGiB} GiB, Node ${c.machine.node}; scratch ${work}`,
  );

  const engineRun = async (
    g: GraphSpec,
    mode: EngineMode,
    reps: Reps,
    perNode = false,
  ): Promise<EngineResult | undefined> => {
    const r = await child<EngineResult>(`engine ${graphLabel(g)} ${mode}${perNode ? ' one tx per node' : ''}`, {
      kind: 'engine',
      mode,
      graph: g,
      reps,
      dir: '',
      perNode,
    });
    if (r) c.engine.push(r);
    return r;
  };

  if (only.has('engine')) {
    log('engine overhead on no-op graphs');
    for (const g of PLAN.engineGraphs) {
      await engineRun(g, 'memory', PLAN.reps.memory);
      for (const sync of ['FULL', 'NORMAL'] as const) {
        const e = await engineRun(g, sync, PLAN.reps[sync]);
        if (!e) continue;
        // The physical limit of a durable checkpoint per node: one raw one-row transaction each.
        const raw = await child<RawResult>(`raw SQLite ${sync} × ${e.nodes} tx`, {
          kind: 'raw',
          sync,
          txns: e.nodes,
          reps: PLAN.reps[sync],
          dir: '',
        });
        if (raw) c.raw[rawKey(g, sync)] = raw;
        // The same without group commit: what a node with effects pays for each transition.
        if (sync === 'FULL' && g === PLAN.engineGraphs[0]) await engineRun(g, sync, PLAN.reps[sync], true);
      }
    }
  }

  if (only.has('effects')) {
    log('effectful chains (SQLite FULL) and Restate');
    const { nodes, restateSteps, reps } = PLAN.effects;
    const chains: EffectResult[] = [];
    // As the hosts run them (their commit linger), and the GET chain without it: a transaction per node.
    const variants = [
      ['delay', COMMIT_LINGER_MS],
      ['http', COMMIT_LINGER_MS],
      ['http', 0],
      ['put', COMMIT_LINGER_MS],
    ] as const;
    for (const [flavor, lingerMs] of variants) {
      const r = await child<EffectResult>(`${flavor} chain ${nodes}, linger ${lingerMs} ms`, {
        kind: 'effects',
        flavor,
        nodes,
        lingerMs,
        reps,
        dir: '',
      });
      if (r) chains.push(r);
    }
    const raw = await child<RawResult>(`raw SQLite FULL × ${nodes} tx`, {
      kind: 'raw',
      sync: 'FULL',
      txns: nodes,
      reps,
      dir: '',
    });
    const restate = await child<RestateResult>(
      `restate ${restateSteps} steps`,
      { kind: 'restate', steps: restateSteps, reps, dir: '' },
      240_000,
    );
    log(`  restate: ${restate ? restate.note : 'the case did not complete'}`);
    c.effects = { chains, ...(raw ? { raw } : {}), ...(restate ? { restate } : {}) };
  }

  if (only.has('langgraph')) {
    log('LangGraph JS peer');
    for (const g of PLAN.peerGraphs) {
      if (!c.engine.some((e) => e.mode === 'FULL' && !e.perNode && e.graph.shape === g.shape && e.graph.n === g.n))
        await engineRun(g, 'FULL', PLAN.reps.FULL);
      const l = await child<LangGraphResult>(
        `langgraph ${graphLabel(g)}`,
        { kind: 'langgraph', graph: g, timeoutMs: PLAN.peerTimeoutMs, dir: '' },
        PLAN.peerTimeoutMs + 60_000,
      );
      c.langgraph.push(
        l ?? { kind: 'langgraph', graph: g, nodes: 0, available: false, note: 'the case did not complete' },
      );
    }
  }

  if (only.has('resume')) {
    log('resume');
    const dir = fs.mkdtempSync(path.join(work, 'resume-'));
    const built = await sharedChild<ResumeBuildResult>(
      'build interrupted runs',
      { kind: 'resume-build', nodes: PLAN.resumeNodes, runs: 3, dir },
      300_000,
    );
    if (built) {
      const r = await sharedChild<ResumeResult>(
        'resume',
        { kind: 'resume', nodes: PLAN.resumeNodes, dir, runIds: built.runIds },
        300_000,
      );
      if (r) c.resume = r;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }

  if (only.has('cli') || only.has('dashboard') || only.has('serve')) {
    // Generated once (bulk SQL, minutes for 10 M events) and cached under bench/results/cache.
    log('scale databases');
    const small = await child<ScaleDb>(
      '10 000 runs / 1 000 000 events',
      { kind: 'scale-db', ...LIST_DB, dir: '' },
      3_600_000,
    );
    const big =
      PLAN.scale.runs === LIST_DB.runs
        ? small
        : await child<ScaleDb>(
            `${PLAN.scale.runs.toLocaleString('en-US')} runs / ${PLAN.scale.events.toLocaleString('en-US')} events`,
            { kind: 'scale-db', ...PLAN.scale, dir: '' },
            3_600_000,
          );
    if (big) c.scaleDb = big;
    if (only.has('cli') && small) {
      log('CLI start-up');
      const scale = big
        ? { file: big.file, runs: big.runs, events: big.events, sampleRunId: big.sampleRunId }
        : undefined;
      const r = await child<CliResult>(
        'cli',
        { kind: 'cli', rounds: PLAN.cliRounds, listDb: small.file, ...(scale ? { scale } : {}), dir: '' },
        900_000,
      );
      if (r) c.cli = r;
      for (const f of r?.failures ?? []) failures.push(`cli ${f}`);
    }
    if (only.has('dashboard') && big) {
      log('dashboard queries');
      const d = await child<DashboardResult>(
        'dashboard',
        {
          kind: 'dashboard',
          file: big.file,
          runs: big.runs,
          events: big.events,
          sampleRunId: big.sampleRunId,
          reps: PLAN.dashboardReps,
          dir: '',
        },
        600_000,
      );
      if (d) c.dashboard = d;
    }
    if (only.has('serve') && big) {
      log('serve with runs in progress');
      const spec = {
        kind: 'serve',
        file: big.file,
        runs: big.runs,
        events: big.events,
        generatedAt: big.generatedAt,
        ...PLAN.serve,
        dir: '',
      } as const;
      const v = await child<ServeResult>('serve', spec, 300_000);
      if (v) c.serve = v;
    }
  }

  if (only.has('map')) {
    log('composition: map of child runs');
    const map: MapBench = { runs: [] };
    for (const items of PLAN.map.items)
      for (const flat of [false, true]) {
        const r = await child<MapResult>(
          `${flat ? 'flat graph' : 'map'} ${items}`,
          { kind: 'map', items, flat, dir: '' },
          900_000,
        );
        if (r) map.runs.push(r);
      }
    const dir = fs.mkdtempSync(path.join(work, 'map-resume-'));
    const items = PLAN.map.resumeItems;
    const built = await sharedChild<MapResumeBuildResult>(
      'map interrupted halfway',
      { kind: 'map-resume-build', items, dir },
      900_000,
    );
    if (built) {
      map.resumeBuild = built;
      const r = await sharedChild<MapResumeResult>(
        'map resume',
        { kind: 'map-resume', runId: built.runId, dir },
        900_000,
      );
      if (r) map.resume = r;
    }
    fs.rmSync(dir, { recursive: true, force: true });
    c.map = map;
  }

  if (only.has('pg') || only.has('scaleout')) {
    log('PostgreSQL');
    c.pg = await pgCases(PLAN.pg, child, failures, { core: only.has('pg'), scaleOut: true });
  }

  if (only.has('control')) c.control = await controlCase({ runs: quick ? 10 : 20, log, failures });

  if (only.has('streaming') || only.has('canvas') || only.has('load')) {
    log('the studio in Chromium');
    const chromium = process.env['STATEPIPE_CHROMIUM'] ?? '/usr/bin/chromium';
    c.renderer = ensureRenderer(log);
    log(`  renderer: ${c.renderer}`);
    if (c.renderer.startsWith('build failed')) failures.push(`browser cases skipped: renderer ${c.renderer}`);
    else if (!fs.existsSync(chromium))
      failures.push(`browser cases skipped: no Chromium at ${chromium} (set STATEPIPE_CHROMIUM)`);
    else {
      if (only.has('streaming')) {
        const spec: StreamingSpec = { kind: 'streaming', ...PLAN.streaming, dir: '' };
        const r = await child<StreamingResult>('streaming', spec, 300_000);
        if (r) c.streaming = r;
      }
      if (only.has('load')) {
        const r = await child<LoadResult>('studio first load', { kind: 'load', reps: quick ? 3 : 7, dir: '' }, 300_000);
        if (r) c.load = r;
      }
      if (only.has('canvas')) {
        const graphs = [
          { nodes: 500, edges: 600, chains: 50 },
          { nodes: 2000, edges: 2400, chains: 50 },
        ];
        const spec: CanvasSpec = { kind: 'canvas', graphs, ...PLAN.canvas, dir: '' };
        const r = await child<CanvasResult>('canvas', spec, 300_000);
        if (r) c.canvas = r;
      }
    }
  }

  c.loadAtEnd = os.loadavg();
  c.totalSec = (performance.now() - t0) / 1000;
  const md = renderReport(c);
  fs.writeFileSync(path.join(resultsDir, 'latest.md'), `${md}\n`);
  fs.writeFileSync(path.join(resultsDir, 'latest.json'), `${JSON.stringify(c, null, 2)}\n`);
  process.stdout.write(
    `\n${md}\n\nwritten: bench/results/latest.md, bench/results/latest.json${profileDir ? `; profiles in ${profileDir}` : ''}\n`,
  );
}

try {
  await main();
} catch (err) {
  log(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
process.exit(0);
