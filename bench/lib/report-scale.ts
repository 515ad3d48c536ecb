/** The CLI start-up and scale cases in the report: their targets and their tables. */
import type { CliResult } from './cli-case.js';
import type { DashboardResult, ScaleDb, ServeResult } from './cases.js';
import { f } from './format.js';

export interface ScaleTarget {
  name: string;
  goal: string;
  measured: string;
  met: boolean | null;
}

export interface ScaleFigures {
  cli?: CliResult;
  dashboard?: DashboardResult;
  scaleDb?: ScaleDb;
  serve?: ServeResult;
}

const MiB = 1024 * 1024;

function table(head: string[], rows: string[][]): string[] {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

const scaleLabel = (runs: number | undefined, events: number | undefined): string =>
  `${f(runs)} runs / ${f(events)} events`;

export function scaleTargets(s: ScaleFigures): ScaleTarget[] {
  const out: ScaleTarget[] = [];
  for (const c of s.cli?.commands ?? []) {
    out.push({
      name: `CLI ${c.name} vs \`node -e 0\` (wall, median of per-round ratios)`,
      goal: `≤ ${c.target}×`,
      measured: `${c.ratio.median.toFixed(2)}× (${f(c.wallMs.median)} ms; CPU ${c.cpuRatio.toFixed(2)}×)`,
      met: c.ratio.median <= c.target,
    });
  }
  const d = s.dashboard;
  const worst = d ? [...d.queries].sort((a, b) => b.p95Ms - a.p95Ms)[0] : undefined;
  const worstCpu = d ? [...d.queries].sort((a, b) => b.cpuP95Ms - a.cpuP95Ms)[0] : undefined;
  out.push({
    name: `Dashboard query p95 at ${scaleLabel(d?.runs, d?.events)} (wall; CPU alongside)`,
    goal: '< 50 ms',
    measured:
      worst && worstCpu
        ? `worst wall p95 ${f(worst.p95Ms, 1)} ms (${worst.name}); worst CPU p95 ${f(worstCpu.cpuP95Ms, 1)} ms (${worstCpu.name})`
        : 'n/a',
    met: worst ? worst.p95Ms < 50 : null,
  });
  const v = s.serve;
  out.push({
    name: `\`serve\` resident memory, ${scaleLabel(v?.runs, v?.events)}, ${f(v?.inProgress)} runs in progress`,
    goal: '≤ 300 MB',
    measured: v ? `peak ${f(v.peakRssMiB)} MiB (with the runs: ${f(v.busyRssMiB)}; idle ${f(v.idleRssMiB)})` : 'n/a',
    met: v ? v.peakRssMiB * MiB <= 300e6 : null,
  });
  const db = s.scaleDb;
  const size = db ? db.dbBytes / db.jsonlBytes : NaN;
  out.push({
    name: `Database size vs the JSONL export of the same events (${scaleLabel(db?.runs, db?.events)})`,
    goal: '≤ 2×',
    measured: db
      ? `${size.toFixed(2)}× (${f(db.dbBytes / db.events, 0)} kB vs ${f(db.jsonlBytes / db.events, 0)} kB per 1 000 events)`
      : 'n/a',
    met: db ? size <= 2 : null,
  });
  return out;
}

export function renderScale(s: ScaleFigures): string[] {
  const L: string[] = [];
  const c = s.cli;
  if (c) {
    L.push(
      `## CLI start-up (${c.rounds} rounds; in each, every command through bin/statepipe.js right after a \`node -e 0\`)`,
      '',
    );
    L.push(
      `Bare Node (\`node -e 0\`): ${f(c.baseline.wallMs.median, 1)} ms wall (${f(c.baseline.wallMs.min, 1)}–${f(c.baseline.wallMs.max, 1)}), ${f(c.baseline.cpuMs, 1)} ms CPU. A ratio is a command's wall (CPU) time over its pair's \`node -e 0\`; the CPU ratio is the median of the pairs'.`,
      '',
    );
    L.push(
      ...table(
        ['command', 'wall ms min / median / max', 'ratio min / **median** / max', 'CPU ms', 'CPU ratio', 'target'],
        c.commands.map((x) => [
          x.name,
          `${f(x.wallMs.min)} / ${f(x.wallMs.median)} / ${f(x.wallMs.max)}`,
          `${x.ratio.min.toFixed(2)} / **${x.ratio.median.toFixed(2)}** / ${x.ratio.max.toFixed(2)}`,
          f(x.cpuMs, 1),
          `${x.cpuRatio.toFixed(2)}×`,
          `≤ ${x.target}×`,
        ]),
      ),
      '',
    );
    if (c.failures.length > 0) L.push(...c.failures.map((x) => `- failed: ${x}`), '');
  }
  const db = s.scaleDb;
  if (db) {
    L.push(`## Scale database (${scaleLabel(db.runs, db.events)})`, '');
    L.push(
      `${db.built ? `Generated in ${f(db.buildSec, 1)} s` : `Reused from bench/results/cache (generated in ${f(db.buildSec, 1)} s)`}: ${f(db.dbBytes / MiB)} MiB, ${f(db.dbBytes / db.events, 0)} kB per 1 000 events; its JSONL export (\`statepipe export\` of every run) ${f(db.jsonlBytes / MiB)} MiB, ${f(db.jsonlBytes / db.events, 0)} kB per 1 000 events: **${(db.dbBytes / db.jsonlBytes).toFixed(2)}×**.`,
      '',
    );
  }
  const d = s.dashboard;
  if (d) {
    L.push(`## Dashboard queries (${scaleLabel(d.runs, d.events)})`, '');
    L.push(
      ...table(
        ['query (limit 50)', 'rows', 'first ms', 'p50 ms', 'p95 ms', 'CPU p50 / p95 ms'],
        d.queries.map((q) => [
          q.name,
          f(q.rows),
          f(q.firstMs, 2),
          f(q.p50Ms, 2),
          f(q.p95Ms, 2),
          `${f(q.cpuP50Ms, 2)} / ${f(q.cpuP95Ms, 2)}`,
        ]),
      ),
      '',
    );
  }
  const v = s.serve;
  if (v) {
    L.push(`## \`statepipe serve\` on the scale database`, '');
    L.push(
      ...table(
        ['figure', 'value'],
        [
          ['start, until the URL is printed (recovery scan included)', `${f(v.startMs)} ms`],
          ['resident memory, idle after start', `${f(v.idleRssMiB)} MiB`],
          [`resident memory, ${v.inProgress} runs streaming (${v.running} seen running)`, `${f(v.busyRssMiB)} MiB`],
          ['peak resident memory (VmHWM)', `**${f(v.peakRssMiB)} MiB**`],
          [`dashboard calls (runs.list + count) during the runs, p95`, `${f(v.apiP95Ms, 1)} ms over ${v.apiCalls}`],
        ],
      ),
      '',
    );
  }
  return L;
}
