/** Turns the collected results into the markdown report and the target verdicts. */
import type {
  CanvasResult,
  LoadResult,
  EngineMode,
  EngineResult,
  LangGraphResult,
  RawResult,
  ResumeResult,
  StreamingResult,
  Sync,
  Target,
} from './cases.js';
import { graphKey, graphLabel, type GraphSpec } from './graphs.js';
import { browserTargets, loadTarget, renderBrowser, renderLoad } from './report-browser.js';
import { renderScale, scaleTargets, type ScaleFigures } from './report-scale.js';
import { mapTargets, renderMap, type MapBench } from './report-map.js';
import { controlTargets, renderControl, type ControlResult } from './control-case.js';
import { effectTargets, renderEffects, type EffectsCollected } from './report-effects.js';
import { pgTargets, renderPg, type PgCollected } from './report-pg.js';
import type { MachineInfo } from './stats.js';
import { f, ratio } from './format.js';

export interface Collected extends ScaleFigures {
  machine: MachineInfo;
  revision: string;
  quick: boolean;
  startedAt: string;
  totalSec: number;
  engine: EngineResult[];
  raw: Record<string, RawResult>;
  langgraph: LangGraphResult[];
  effects?: EffectsCollected;
  resume?: ResumeResult;
  streaming?: StreamingResult;
  canvas?: CanvasResult;
  load?: LoadResult;
  map?: MapBench;
  pg?: PgCollected;
  control?: ControlResult;
  /** What the bench did about out/renderer (fresh, built, or the build error). */
  renderer?: string;
  /** 1/5/15-minute load averages when the bench ended (the start's are in `machine`). */
  loadAtEnd?: number[];
  failures: string[];
  /** Graph keys for the flatness ratio: [large, small]. */
  flatness: [GraphSpec, GraphSpec];
}

const mark = (met: boolean | null): string => (met === null ? '— n/a' : met ? '✅ met' : '❌ missed');

export const rawKey = (g: GraphSpec, sync: Sync): string => `${graphKey(g)}/${sync}`;

export function findEngine(c: Collected, g: GraphSpec, mode: EngineMode): EngineResult | undefined {
  return c.engine.find((e) => e.mode === mode && !e.perNode && graphKey(e.graph) === graphKey(g));
}

function table(head: string[], rows: string[][]): string[] {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

export function targets(c: Collected): Target[] {
  const out: Target[] = [];
  const full = c.engine.filter((e) => e.mode === 'FULL' && !e.perNode && c.raw[rawKey(e.graph, 'FULL')]);
  const durable = full.map((e) => ({ e, r: e.usPerNode / c.raw[rawKey(e.graph, 'FULL')]!.usPerTxn }));
  const worst = durable.sort((a, b) => b.r - a.r)[0];
  out.push({
    name: 'Durable node (its transitions committed) vs a raw one-row transaction (synchronous=FULL)',
    goal: '≤ 2×',
    measured: worst ? `worst ${ratio(worst.r)} (${graphLabel(worst.e.graph)})` : 'n/a',
    met: worst ? worst.r <= 2 : null,
  });
  const mem = c.engine.filter((e) => e.mode === 'memory' && e.nodes >= 1000);
  const slow = [...mem].sort((a, b) => a.nodesPerSec - b.nodesPerSec)[0];
  out.push({
    name: 'In-memory engine throughput',
    goal: '≥ 20,000 nodes/s',
    measured: slow ? `lowest ${f(slow.nodesPerSec)} nodes/s (${graphLabel(slow.graph)})` : 'n/a',
    met: slow ? slow.nodesPerSec >= 20_000 : null,
  });
  const peers = c.langgraph.filter((l) => l.available && l.nodesPerSec !== undefined);
  const vs = peers
    .map((l) => ({ l, ours: findEngine(c, l.graph, 'FULL') }))
    .filter((x) => x.ours)
    .map((x) => ({ ...x, r: x.ours!.nodesPerSec / x.l.nodesPerSec! }))
    .sort((a, b) => a.r - b.r);
  out.push({
    name: 'vs LangGraph JS (ours SQLite FULL vs its SQLite checkpointer, default durability)',
    goal: '≥ 10×',
    measured: vs[0] ? `lowest ${ratio(vs[0].r)} (${graphLabel(vs[0].l.graph)})` : 'LangGraph not available',
    met: vs[0] ? vs[0].r >= 10 : null,
  });
  const [big, small] = c.flatness;
  const b = findEngine(c, big, 'memory');
  const s = findEngine(c, small, 'memory');
  const flat = b && s ? b.usPerNode / s.usPerNode : NaN;
  out.push({
    name: `Flatness: per-node time ${graphLabel(big)} / ${graphLabel(small)} (in memory)`,
    goal: '≤ 1.2×',
    measured: ratio(flat),
    met: Number.isFinite(flat) ? flat <= 1.2 : null,
  });
  out.push(...effectTargets(c.effects));
  const r = c.resume;
  out.push({
    name: `Resume of a ${f(r?.nodes)}-node chain interrupted halfway (service.resume → first node started, cold process)`,
    goal: '< 500 ms',
    measured: r ? `${f(r.firstNodeColdMs, 1)} ms` : 'n/a',
    met: r ? r.firstNodeColdMs < 500 : null,
  });
  if (c.cli || c.dashboard || c.serve || c.scaleDb) out.push(...scaleTargets(c));
  if (c.pg) out.push(...pgTargets(c.pg));
  out.push(...controlTargets(c.control));
  if (c.streaming || c.canvas) out.push(...browserTargets(c.streaming, c.canvas));
  if (c.load) out.push(loadTarget(c.load));
  out.push(...mapTargets(c.map));
  return out;
}

export function renderReport(c: Collected): string {
  const m = c.machine;
  const L: string[] = [];
  L.push(`# statepipe benchmark${c.quick ? ' (--quick)' : ''}`, '');
  L.push(
    `${c.startedAt} · ${m.cpus} × ${m.cpuModel} · ${f(m.memoryGiB, 1)} GiB · Node ${m.node} · SQLite ${m.sqlite} · ${m.platform} · took ${f(c.totalSec)} s`,
    '',
  );
  const load = (l: number[] | undefined) => (l ? l.map((x) => x.toFixed(2)).join(' / ') : 'n/a');
  const busy = Math.max(m.loadAvg?.[0] ?? 0, c.loadAtEnd?.[0] ?? 0) > m.cpus;
  L.push(
    `Load average (1 / 5 / 15 min) at start ${load(m.loadAvg)}, at end ${load(c.loadAtEnd)}${busy ? ` — **above the ${m.cpus} cores: other jobs competed for the CPU, figures are pessimistic**` : ''}`,
    '',
    `Code: ${c.revision}`,
    '',
  );

  L.push('## Targets', '');
  L.push(
    ...table(
      ['target', 'goal', 'measured', 'verdict'],
      targets(c).map((t) => [t.name, t.goal, t.measured, mark(t.met)]),
    ),
    '',
  );

  L.push('## Engine on no-op graphs', '');
  L.push(
    "Each run: createRun through the run's end. `µs/node` = wall time / nodes; `engine µs/node` = the same without the time spent inside store writes; `µs/tx` = wall time / write transactions (createRun + appends + lease); `vs raw` = `µs/node` / a raw one-row INSERT transaction under the same pragmas, one per node (the physical limit of a checkpoint per node). Group commit is on (the ends of pure in-process nodes running together share a transaction), except in the row marked *one tx per node*, where group commit is off and every transition commits alone (a node's start and end, then the next node's queueing: two transactions per node; the effectful chains below time the real path of a node with effects, one transaction per node). Commit latency = one `store.append` call. Memory: peak delta over the run in a fresh process (RSS / heapUsed), and the process peak RSS.",
    '',
  );
  const rows: string[][] = [];
  for (const e of c.engine) {
    const raw = e.mode === 'memory' || e.mode === 'postgres' ? undefined : c.raw[rawKey(e.graph, e.mode)];
    rows.push([
      graphLabel(e.graph),
      e.mode === 'memory' ? 'in-memory' : `SQLite ${e.mode}${e.perNode ? ', one tx per node' : ''}`,
      f(e.nodesPerSec),
      f(e.usPerNode, 1),
      f(e.engineUsPerNode, 1),
      f(e.appends),
      f(e.usPerWrite, 1),
      raw ? f(raw.usPerTxn, 1) : '—',
      raw ? ratio(e.usPerNode / raw.usPerTxn) : '—',
      `${f(e.commit.p50Us, 1)} / ${f(e.commit.p99Us, 1)}`,
      raw ? `${f(raw.commit.p50Us, 1)} / ${f(raw.commit.p99Us, 1)}` : '—',
      `${f(e.memory.rssDeltaMiB, 1)} / ${f(e.memory.heapDeltaMiB, 1)} / ${f(e.memory.maxRssMiB)}`,
      String(e.reps),
    ]);
  }
  L.push(
    ...table(
      [
        'graph',
        'store',
        'nodes/s',
        'µs/node',
        'engine µs/node',
        'commits',
        'µs/tx',
        'raw µs/tx',
        'vs raw',
        'commit p50/p99 µs',
        'raw p50/p99 µs',
        'mem Δrss/Δheap/peak MiB',
        'reps',
      ],
      rows,
    ),
    '',
  );

  L.push(...renderEffects(c.effects));

  L.push('## Flatness (per-node time, large / small graph)', '');
  const pairs: [string, string][] = [];
  const shapes = [...new Set(c.engine.map((e) => e.graph.shape))];
  for (const shape of shapes) {
    const sizes = [...new Set(c.engine.filter((e) => e.graph.shape === shape).map((e) => e.graph.n))].sort(
      (a, b) => a - b,
    );
    if (sizes.length < 2) continue;
    const lo = { shape, n: sizes[0]! };
    const hi = { shape, n: sizes[sizes.length - 1]! };
    for (const mode of ['memory', 'FULL', 'NORMAL'] as const) {
      const a = findEngine(c, hi, mode);
      const b = findEngine(c, lo, mode);
      if (a && b)
        pairs.push([
          `${graphLabel(hi)} / ${graphLabel(lo)}, ${mode === 'memory' ? 'in-memory' : `SQLite ${mode}`}`,
          `${ratio(a.usPerNode / b.usPerNode)} (${f(a.usPerNode, 1)} vs ${f(b.usPerNode, 1)} µs/node)`,
        ]);
    }
  }
  L.push(...table(['pair', 'ratio'], pairs), '');

  L.push('## LangGraph JS (peer)', '');
  const lrows = c.langgraph.map((l) => {
    const ours = findEngine(c, l.graph, 'FULL');
    if (!l.available) return [graphLabel(l.graph), 'not available', '—', '—', '—', l.note ?? ''];
    return [
      graphLabel(l.graph),
      f(l.nodesPerSec, l.nodesPerSec !== undefined && l.nodesPerSec < 100 ? 1 : 0),
      f(l.usPerNode),
      ours ? f(ours.nodesPerSec) : 'n/a',
      ours && l.nodesPerSec ? ratio(ours.nodesPerSec / l.nodesPerSec) : 'n/a',
      `synchronous=${l.synchronous}, ${f(l.checkpoints)} checkpoints, ${f(l.writes)} writes, Δheap ${f(l.memory?.heapDeltaMiB, 1)} MiB${l.note ? `; ${l.note}` : ''}`,
    ];
  });
  L.push(
    ...table(
      ['graph', 'LangGraph nodes/s', 'LangGraph µs/node', 'ours (SQLite FULL) nodes/s', 'ours / LangGraph', 'notes'],
      lrows,
    ),
    '',
  );

  if (c.resume) {
    const r = c.resume;
    L.push(
      `## Resume (${f(r.nodes)}-node chain, crashed with node ${f(r.nodes / 2)} in flight, ${f(r.eventsInLog)} events in its log)`,
      '',
    );
    L.push(
      ...table(
        ['figure', 'ms'],
        [
          ['open the database (StatepipeService.open, cold process)', f(r.openMs, 1)],
          ['startup recovery scan per crashed run (recoverInterrupted)', f(r.recoverScanMs, 1)],
          ['**service.resume → first remaining node started (cold process)**', f(r.firstNodeColdMs, 1)],
          ['service.resume → first remaining node started (warm process)', f(r.firstNodeWarmMs, 1)],
          ['engine.drive (single load) → first remaining node started (warm)', f(r.driveFirstNodeWarmMs, 1)],
          ['  of which store.loadRun (SELECT + JSON.parse of the log)', f(r.breakdown.loadRunMs, 1)],
          ['  of which JSON.parse of the event data alone', f(r.breakdown.eventsParseMs, 1)],
          ['  of which foldEvents', f(r.breakdown.foldMs, 1)],
          ['  of which topology(graph)', f(r.breakdown.topologyMs, 1)],
          ['whole resumed drive (remaining half), median of 3', f(r.fullResumeMs, 0)],
          ['a fresh run of a chain of the remaining size, same process', f(r.freshRemainderMs, 0)],
          [
            'resume overhead by difference (whole drive − fresh remainder; fsync-bound, noisy)',
            f(r.fullResumeMs - r.freshRemainderMs, 0),
          ],
        ],
      ),
      '',
    );
  }

  L.push(...renderScale(c));
  L.push(...renderPg(c.pg));
  L.push(...renderControl(c.control));
  L.push(...renderBrowser(c.streaming, c.canvas, c.renderer));
  if (c.load) L.push(...renderLoad(c.load));
  L.push(...renderMap(c.map));
  if (c.failures.length > 0) L.push('## Cases that did not complete', '', ...c.failures.map((x) => `- ${x}`), '');
  return L.join('\n');
}
