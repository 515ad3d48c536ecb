/** The summary of a chaos campaign: what was killed where, and what did not match. */
import type { Paint } from '../render.js';
import { KILL_WHERE } from '../../host/chaos.js';
import type { Step } from './chaos-drive.js';

export interface ChaosSummary {
  graph: string;
  seed: number;
  runs: number;
  kills: number;
  byWhere: Record<string, number>;
  byKind: Record<string, number>;
  killedDuring: Record<string, number>;
  inDoubtRetries: number;
  resumedStarts: number;
  childProcesses: number;
  mismatches: number;
  problems: string[];
  seconds: number;
}

export function newSummary(graph: string, seed: number, runs: number): ChaosSummary {
  const summary: ChaosSummary = {
    graph,
    seed,
    runs,
    kills: 0,
    byWhere: {},
    byKind: {},
    killedDuring: {},
    inDoubtRetries: 0,
    resumedStarts: 0,
    childProcesses: 0,
    mismatches: 0,
    problems: [],
    seconds: 0,
  };
  for (const w of KILL_WHERE) summary.byWhere[w] = 0;
  return summary;
}

/** A short name of what an append was doing, for the summary. */
function kindOf(types: string[]): string {
  if (types.includes('run.created')) return 'run created';
  if (types.includes('node.tokens')) return 'mid-stream';
  if (types.some((t) => t.startsWith('approval.'))) return 'approval';
  if (types.some((t) => t === 'run.succeeded' || t === 'run.failed')) return 'run end';
  if (types.includes('node.in-doubt')) return 'in-doubt';
  if (types.includes('child.finished')) return 'child end';
  if (types.includes('node.child')) return 'child start';
  if (types.includes('node.succeeded')) return 'node end';
  if (types.includes('node.started')) return 'node start';
  return types[0] ?? 'empty';
}

const bump = (o: Record<string, number>, key: string): void => {
  o[key] = (o[key] ?? 0) + 1;
};

/** Counts one run's child processes, in-doubt retries and kills. */
export function tallySteps(summary: ChaosSummary, steps: readonly Step[]): void {
  summary.childProcesses += steps.length;
  for (const s of steps) {
    if (s.cmd === 'retry') summary.inDoubtRetries++;
    if (!s.kill) continue;
    summary.kills++;
    if (s.kill.where) bump(summary.byWhere, s.kill.where);
    bump(summary.byKind, kindOf(s.kill.types));
    bump(summary.killedDuring, s.cmd);
  }
}

/** The closing lines; `keys`: the idempotency keys checked (with --counts-url). */
export function summaryText(s: ChaosSummary, p: Paint, dir: string, keys?: { unsafe: number; total: number }): string {
  const fmt = (o: Record<string, number>): string =>
    Object.entries(o)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(' · ') || 'none';
  return (
    [
      `chaos: ${s.runs} runs of ${s.graph} (seed ${s.seed}) in ${s.seconds} s, ${s.childProcesses} processes`,
      `  kills: ${s.kills} (${fmt(s.byWhere)}); killed during: ${fmt(s.killedDuring)}`,
      `  kill points: ${fmt(s.byKind)}`,
      `  resumed re-executions: ${s.resumedStarts} · in-doubt retries: ${s.inDoubtRetries}${keys ? ` · idempotency keys checked: ${keys.unsafe} unsafe, ${keys.total} total` : ''}`,
      `  mismatches: ${s.mismatches === 0 ? p.green('0') : p.red(String(s.mismatches))}${s.mismatches === 0 ? '' : ` (databases kept in ${dir})`}`,
    ].join('\n') + '\n'
  );
}
