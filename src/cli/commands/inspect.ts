/** `statepipe inspect RUN_ID [--json] [--node NODE_ID]` and `statepipe list`. */
import { RUN_STATUSES } from '../../core/engine/machines.js';
import { AppError } from '../../core/errors.js';
import type { RunStatus } from '../../core/ports.js';
import { knownRun, type RunDetail } from '../../host/run-detail.js';
import { shownChildren, shownRun, shownRuns } from '../../host/shown-status.js';
import { approveHint, behindHint } from '../approve-hint.js';
import type { ListRunsOptions, RunSummary } from '../../host/store/index.js';
import { UsageError } from '../exit.js';
import { positiveInt } from '../flags.js';
import {
  errorMessageOf,
  formatCost,
  formatDuration,
  oneLine,
  paint,
  preview,
  statusColor,
  streamOut,
  table,
  type Paint,
} from '../render.js';
import { withStore, type GlobalOpts } from '../store-session.js';

type NodeDetail = RunDetail['nodes'][number];

export async function inspectCommand(
  runId: string,
  opts: { json?: boolean; node?: string },
  g: GlobalOpts,
): Promise<number> {
  return withStore(g, async (store) => {
    // A run whose process died shows `interrupted` (computed: read commands write nothing).
    const d = await shownRun(store, runId);
    const children = await shownChildren(store, runId);
    const out = streamOut(process.stdout);
    const p = paint(out);
    if (opts.node !== undefined) {
      const n = d.nodes.find((x) => x.nodeId === opts.node);
      if (!n)
        throw new AppError(
          'not-found',
          `node ${opts.node} not found in run ${runId} (nodes: ${d.nodes.map((x) => x.nodeId).join(', ')})`,
        );
      const items = children.filter((c) => c.parent?.nodeId === n.nodeId).sort((a, b) => a.parent!.key - b.parent!.key);
      if (opts.json) out.write(JSON.stringify(items.length > 0 ? { ...n, children: items } : n, null, 2) + '\n');
      else out.write(nodeText(d, n, p, g.verbose === true) + childrenTable(items, p));
      return 0;
    }
    if (opts.json) out.write(JSON.stringify(children.length > 0 ? { ...d, children } : d, null, 2) + '\n');
    else out.write(runText(d, p, children));
    return 0;
  });
}

/** `3 succeeded · 1 running`: child runs counted by status. */
export function childCounts(counts: Partial<Record<string, number>>, p: Paint): string {
  return Object.entries(counts)
    .map(([status, n]) => `${n} ${p[statusColor(status)](status)}`)
    .join(' · ');
}

/** A composition node's child runs: key, run, status, duration, tokens. */
function childrenTable(items: RunSummary[], p: Paint): string {
  if (items.length === 0) return '';
  const rows = items.map((c) => [
    String(c.parent!.key),
    c.runId,
    p[statusColor(c.status)](c.status),
    formatDuration(c.durationMs),
    String(c.tokens),
    formatCost(c.costUsd),
  ]);
  return (
    `\n${p.bold('children')} (${items.length})\n` +
    table(['key', 'run', 'status', 'duration', 'tokens', 'cost'], rows, p)
  );
}

function runText(d: RunDetail, p: Paint, children: RunSummary[] = []): string {
  const lines: string[] = [];
  lines.push(`${p.bold('run')}      ${d.runId}`);
  lines.push(`graph    ${d.graphId}${d.graphName ? ` (${d.graphName})` : ''}`);
  const extra = d.status === 'paused' && d.pauseReason ? ` (${d.pauseReason})` : '';
  lines.push(`status   ${p[statusColor(d.status)](d.status)}${extra}`);
  if (d.rerunOf) lines.push(`rerun of ${d.rerunOf.runId} from ${d.rerunOf.fromNodeId}`);
  if (d.parent) lines.push(`child of ${d.parent.runId} (node ${d.parent.nodeId}, key ${d.parent.key})`);
  if (children.length > 0) {
    const counts: Record<string, number> = {};
    for (const c of children) counts[c.status] = (counts[c.status] ?? 0) + 1;
    lines.push(`children ${children.length}: ${childCounts(counts, p)} (inspect --node NODE lists a node's)`);
  }
  if (d.createdAt) lines.push(`created  ${d.createdAt}`);
  if (d.startedAt) lines.push(`started  ${d.startedAt}`);
  if (d.finishedAt) lines.push(`finished ${d.finishedAt}`);
  lines.push(`duration ${formatDuration(d.durationMs)} · ${d.tokens} tokens · ${formatCost(d.costUsd)}`);
  lines.push(`input    ${preview(d.input, 120)}`);
  if (d.result !== undefined) lines.push(`result   ${preview(d.result, 120)}`);
  if (d.error)
    lines.push(
      `error    ${p.red(`${d.failedNodeId ? `node ${d.failedNodeId} ` : ''}(${d.error.kind}): ${oneLine(errorMessageOf(d.error))}`)}`,
    );
  if (d.compensated !== undefined) lines.push(`compensated ${d.compensated ? p.green('yes') : p.red('no')}`);
  const rows = d.nodes.map((n) => {
    const compFailed = n.compensation?.status === 'failed';
    const err = compFailed
      ? p.red(`compensation failed: ${oneLine(n.compensation?.error?.message ?? '', 60)}`)
      : n.error
        ? p.red(`${n.error.kind}: ${oneLine(errorMessageOf(n.error), 60)}`)
        : n.skipReason
          ? p.dim(oneLine(n.skipReason, 60))
          : n.status === 'waiting'
            ? p.yellow(waitingHint(d, n, children))
            : n.compensation
              ? p.dim(`compensation ${n.compensation.status}`)
              : n.poll?.nextPollAt
                ? p.yellow(`polling: ${n.poll.polls} polls, next at ${n.poll.nextPollAt}`)
                : '';
    const id = compFailed ? p.red(n.nodeId) : n.nodeId;
    return [
      id,
      n.type,
      p[statusColor(n.status)](n.status),
      String(n.attempts.length),
      formatDuration(n.durationMs),
      String(n.tokens),
      formatCost(n.costUsd),
      err,
    ];
  });
  return (
    lines.join('\n') +
    '\n\n' +
    table(['node', 'type', 'status', 'attempts', 'duration', 'tokens', 'cost', 'error'], rows, p)
  );
}

function nodeText(d: RunDetail, n: NodeDetail, p: Paint, verbose: boolean): string {
  const lines: string[] = [];
  lines.push(`${p.bold('node')}     ${n.nodeId}${n.label ? ` (${n.label})` : ''} in run ${d.runId}`);
  lines.push(`type     ${n.type}`);
  lines.push(`status   ${p[statusColor(n.status)](n.status)}`);
  lines.push(`duration ${formatDuration(n.durationMs)} · ${n.tokens} tokens · ${formatCost(n.costUsd)}`);
  if (n.skipReason) lines.push(`skipped  ${n.skipReason}`);
  if (n.error) {
    lines.push(`error    ${p.red(`(${n.error.kind}): ${oneLine(errorMessageOf(n.error), 1000)}`)}`);
    if (verbose && n.error.stack) lines.push(p.dim(n.error.stack));
  }
  if (n.approval) {
    lines.push(`approval ${oneLine(n.approval.title)}`);
    if (n.approval.details !== undefined) lines.push(`details  ${preview(n.approval.details, 200)}`);
    const dec = n.approval.decision;
    if (dec)
      lines.push(
        `decision ${dec.approved ? p.green('approved') : p.red('rejected')}${dec.by ? ` by ${dec.by}` : ''}${dec.comment ? `: ${dec.comment}` : ''}`,
      );
  }
  if (n.compensation) {
    const c = n.compensation;
    const text = `${c.status} (attempt ${c.attempt})${c.error ? `: ${c.error.message}` : ''}`;
    lines.push(`compensation ${c.status === 'failed' ? p.red(text) : text}`);
  }
  if (n.poll)
    lines.push(
      `polling  submitted ${n.poll.submittedAt} · ${n.poll.polls} polls${n.poll.nextPollAt ? ` · next poll at ${n.poll.nextPollAt}` : ''}`,
    );
  if (n.input !== undefined) lines.push(`input    ${preview(n.input, 300)}`);
  if (n.output !== undefined) lines.push(`output   ${preview(n.output, 300)}`);
  if (n.stream && n.output === undefined) lines.push(`stream   ${preview(n.stream, 300)}`);
  if (n.attempts.length > 0) {
    lines.push('');
    const rows = n.attempts.map((a) => [
      String(a.attempt),
      p[statusColor(a.status)](a.status),
      new Date(a.startedAt).toISOString(),
      a.finishedAt !== undefined ? formatDuration(a.finishedAt - a.startedAt) : '-',
      a.usage ? String(a.usage.inputTokens + a.usage.outputTokens) : '',
      a.costUsd ? formatCost(a.costUsd) : '',
      a.error ? p.red(`${a.error.kind}: ${oneLine(errorMessageOf(a.error), 60)}`) : '',
    ]);
    lines.push(table(['attempt', 'status', 'started', 'duration', 'tokens', 'cost', 'error'], rows, p).trimEnd());
  }
  if (n.logs.length > 0) {
    lines.push('', 'logs:');
    for (const l of n.logs) lines.push(`  ${l.ts} [${l.level}] ${oneLine(l.message, 300)}`);
  }
  return lines.join('\n') + '\n';
}

export interface ListOpts {
  status?: string;
  graph?: string;
  limit?: string;
  json?: boolean;
  all?: boolean;
  parent?: string;
}

export async function listCommand(opts: ListOpts, g: GlobalOpts): Promise<number> {
  const q: ListRunsOptions = { sort: 'created', order: 'desc', limit: positiveInt(opts.limit, '--limit') ?? 50 };
  if (opts.status !== undefined) {
    const asked = opts.status.split(',').map((s) => s.trim());
    for (const s of asked) {
      if (!RUN_STATUSES.includes(s as RunStatus))
        throw new UsageError(`--status: unknown status "${s}" (one of ${RUN_STATUSES.join(', ')})`);
    }
    q.status = asked.length === 1 ? (asked[0] as RunStatus) : (asked as RunStatus[]);
  }
  if (opts.graph !== undefined) q.graphId = opts.graph;
  if (opts.all && opts.parent !== undefined)
    throw new UsageError('--all and --parent cannot be used together (--parent lists the child runs of one run)');
  if (opts.all) q.all = true;
  if (opts.parent !== undefined) q.parentRunId = opts.parent;
  return withStore(g, async (store) => {
    // The children of a run that is not there: said (exit 2), not answered with an empty list.
    if (q.parentRunId !== undefined) await knownRun(store, q.parentRunId);
    const { runs } = await shownRuns(store, q);
    const out = streamOut(process.stdout);
    if (opts.json) {
      out.write(JSON.stringify(runs, null, 2) + '\n');
      return 0;
    }
    if (runs.length === 0) {
      out.write('no runs\n');
      return 0;
    }
    const p = paint(out);
    const rows = runs.map((r) => [
      r.runId,
      r.graphId,
      p[statusColor(r.status)](r.status),
      r.createdAt,
      formatDuration(r.durationMs),
      String(r.tokens),
      formatCost(r.costUsd),
      r.children ? childCounts(r.children, p) : r.parent ? p.dim(`child of ${r.parent.runId}`) : '',
    ]);
    out.write(table(['run', 'graph', 'status', 'created', 'duration', 'tokens', 'cost', 'children'], rows, p));
    return 0;
  });
}

/** A waiting node's row: the command that decides it (and how many more wait in its child runs). */
function waitingHint(d: RunDetail, n: NodeDetail, children: RunSummary[]): string {
  const behind = behindHint(d.runId, n, (id) => children.find((c) => c.runId === id)?.status);
  if (behind) return behind;
  const h = approveHint(d.runId, n, d.nodes);
  const all = h.approvals.length + h.doubts.length;
  return all > 1 ? `${h.command} (+${all - 1} more: inspect --node ${n.nodeId})` : h.command;
}
