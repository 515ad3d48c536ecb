/**
 * The default progress output of a run: one concise line per node transition, and with
 * `--verbose` node logs, retry details, agent steps and error stacks. Also the final line.
 */
import type { NodeError } from '../core/errors.js';
import type { RunEvent } from '../core/events.js';
import type { RunDetail, RunOutcome } from '../host/service.js';
import { approveHint } from './approve-hint.js';
import { errorMessageOf, formatCost, formatDuration, oneLine, preview, type Out, type Paint, paint } from './render.js';

const errText = (e: NodeError | undefined): string => (e ? `(${e.kind}): ${oneLine(errorMessageOf(e))}` : '');

function tokensOf(usage: { inputTokens: number; outputTokens: number } | undefined): number | undefined {
  return usage ? usage.inputTokens + usage.outputTokens : undefined;
}

/** The line (or lines) an event prints, or [] for events that print nothing at this verbosity. */
export function eventLines(e: RunEvent, verbose: boolean, p: Paint): string[] {
  const id = e.nodeId ?? '';
  const node = (sym: string, color: keyof Paint, text: string): string => `  ${p[color](sym)} ${p.bold(id)} ${text}`;
  const dimStack = (err: NodeError | undefined): string[] =>
    verbose && err?.stack ? err.stack.split('\n').map((l) => p.dim(`      ${l}`)) : [];
  switch (e.type) {
    case 'node.started': {
      const bits = [
        e.data.attempt > 1 ? `(attempt ${e.data.attempt})` : '',
        e.data.resumed ? '(resumed: the attempt begun before goes on)' : '',
      ];
      if (e.data.until !== undefined) bits.push(`until ${new Date(e.data.until).toISOString()}`);
      const out = [node('▸', 'cyan', ['started', ...bits.filter(Boolean)].join(' '))];
      if (verbose) out.push(p.dim(`      idempotency key ${e.data.idempotencyKey}`));
      return out;
    }
    case 'node.succeeded': {
      const bits = [`succeeded in ${formatDuration(e.data.durationMs)}`];
      const t = tokensOf(e.data.usage);
      if (t !== undefined) bits.push(`${t} tokens`);
      if (e.data.costUsd) bits.push(formatCost(e.data.costUsd));
      if (e.data.reusedFrom) bits.splice(0, 1, `reused from ${e.data.reusedFrom}`);
      if (e.data.resolved) bits.splice(0, 1, 'marked done by a person');
      if (e.data.verified)
        bits.splice(0, 1, `verified done (attempt ${e.data.attempt} had taken effect before the crash)`);
      const out = [node('✓', 'green', bits.join(' · '))];
      if (verbose && e.data.output !== undefined) out.push(p.dim(`      output ${preview(e.data.output, 200)}`));
      return out;
    }
    case 'node.failed':
      return [node('✗', 'red', `failed ${errText(e.data.error)}`), ...dimStack(e.data.error)];
    case 'node.retrying': {
      if (e.data.verified === false)
        return [node('↻', 'yellow', `verified not done: attempt ${e.data.attempt} runs with a new key`)];
      const out = [
        node(
          '↻',
          'yellow',
          `retrying in ${formatDuration(e.data.delayMs)} (attempt ${e.data.attempt}) after ${errText(e.data.error)}`,
        ),
      ];
      if (verbose) {
        out.push(
          p.dim(
            `      attempt ${e.data.attempt - 1} failed: kind=${e.data.error.kind} retryable=${e.data.error.retryable}`,
          ),
        );
        out.push(...dimStack(e.data.error));
      }
      return out;
    }
    case 'node.skipped':
      return [node('-', 'gray', `skipped: ${e.data.reason}`)];
    case 'node.cancelled':
      // Cut off while its unsafe effect was under way: what it may have done is said.
      return [
        node('✗', e.data.error ? 'yellow' : 'gray', e.data.error ? `cancelled: ${e.data.error.message}` : 'cancelled'),
      ];
    case 'node.in-doubt': {
      const check = e.data.verifyError ? `; its verify check could not answer: ${errText(e.data.verifyError)}` : '';
      return [
        node(
          '?',
          'red',
          `in doubt (attempt ${e.data.attempt} was running when its process stopped${check}; decide with statepipe retry ${e.runId} ${id})`,
        ),
      ];
    }
    case 'node.requeued':
      return [node('↻', 'yellow', 'requeued by a person')];
    case 'node.reset':
      return verbose ? [node('·', 'dim', `reset: ${e.data.reason}`)] : [];
    case 'node.log':
      return verbose ? [p.dim(`    ${id} [${e.data.level}] ${oneLine(e.data.message, 1000)}`)] : [];
    case 'approval.requested':
      return [node('⏸', 'yellow', `waiting for approval: ${oneLine(e.data.title)}`)];
    case 'approval.granted':
    case 'approval.rejected': {
      const verb = e.type === 'approval.granted' ? 'approved' : 'rejected';
      const by = e.data.by ? ` by ${e.data.by}` : '';
      const comment = e.data.comment ? `: ${oneLine(e.data.comment)}` : '';
      return [node(verb === 'approved' ? '✓' : '✗', verb === 'approved' ? 'green' : 'red', `${verb}${by}${comment}`)];
    }
    case 'budget.exceeded': {
      const lim = [
        e.data.maxTokens !== undefined ? `maxTokens ${e.data.maxTokens}` : '',
        e.data.maxCostUsd !== undefined ? `maxCostUsd ${e.data.maxCostUsd}` : '',
      ]
        .filter(Boolean)
        .join(', ');
      return [`  ${p.yellow('$')} budget reached: ${e.data.tokens} tokens, ${formatCost(e.data.costUsd)} (${lim})`];
    }
    case 'agent.step': {
      if (!verbose) return [];
      const s = e.data.step;
      const what =
        s.kind === 'tool'
          ? `tool ${s.name}(${preview(s.args, 80)}) → ${preview(s.result, 80)}`
          : s.toolCall
            ? `model asks for ${s.toolCall.name}`
            : `model replied ${preview(s.text ?? '', 80)}`;
      return [p.dim(`    ${id} step ${e.data.index}: ${what}`)];
    }
    case 'node.poll': {
      const next = `next poll at ${new Date(e.data.nextPollAt).toISOString()}`;
      return [node('⋯', 'dim', e.data.polls === 0 ? `submitted; ${next}` : `${e.data.polls} polls, not done; ${next}`)];
    }
    case 'compensation.started':
      return [node('↺', 'magenta', 'compensating')];
    case 'compensation.succeeded':
      return [node('↺', 'green', 'compensated')];
    case 'compensation.failed':
      return [
        node('↺', 'red', `compensation failed ${errText(e.data.error)}${e.data.final ? '' : ' (will retry)'}`),
        ...dimStack(e.data.error),
      ];
    case 'run.paused':
      return verbose ? [p.dim(`  run paused (${e.data.reason})`)] : [];
    case 'run.resumed':
      return verbose ? [p.dim('  run resumed')] : [];
    case 'run.started':
      return verbose ? [p.dim('  run started')] : [];
    case 'run.retried':
      return verbose ? [p.dim(`  run continues: ${e.data.nodeId} retried`)] : [];
    case 'child.finished': {
      const how = e.data.status === 'succeeded' ? p.green('succeeded') : p.red(e.data.status);
      return verbose ? [p.dim(`  ↳ ${e.nodeId}[${e.data.key}] child ${e.data.childRunId} `) + how] : [];
    }
    case 'node.waiting': {
      const c = e.data.children[0];
      return c ? [p.yellow(`  ⏸ ${e.nodeId} waits for child run ${c.runId} (${c.nodeIds.join(', ')})`)] : [];
    }
    default:
      return [];
  }
}

/** Prints progress lines for events as they commit. */
export class ProgressPrinter {
  private readonly p: Paint;
  /** The runs whose node lines print: those started here, and the one a command continues. */
  private readonly roots: Set<string>;
  constructor(
    private readonly out: Out,
    private readonly verbose: boolean,
    roots: readonly string[] = [],
  ) {
    this.p = paint(out);
    this.roots = new Set(roots);
  }
  /**
   * Child runs of subgraph, map and loop nodes: their ends show on their parent's line, not their
   * nodes. A child continued with its parent (a resume) made no run.created here: any run that is
   * not a root is one.
   */
  private readonly children = new Set<string>();
  onEvents(events: RunEvent[]): void {
    for (const e of events) {
      if (e.type === 'run.created') {
        if (e.data.parent) this.children.add(e.runId);
        else {
          this.roots.add(e.runId);
          this.out.write(`[run] id=${e.runId} started\n`);
        }
        continue;
      }
      if (this.children.has(e.runId) || (this.roots.size > 0 && !this.roots.has(e.runId))) continue;
      for (const line of eventLines(e, this.verbose, this.p)) this.out.write(line + '\n');
    }
  }
  finish(): void {}
}

export interface BudgetInfo {
  tokens: number;
  costUsd: number;
  maxTokens?: number;
  maxCostUsd?: number;
}

/** The last line of a run: how it ended and what to do next. */
export function finalLine(o: RunOutcome, d: RunDetail | undefined, p: Paint, budget?: BudgetInfo): string {
  const head = `[run] id=${o.runId}`;
  const tokens = d?.tokens ?? 0;
  const cost = d?.costUsd ?? 0;
  switch (o.status) {
    case 'succeeded':
      return `${head} ${p.green('succeeded')} in ${formatDuration(d?.durationMs ?? 0)} · ${tokens} tokens · ${formatCost(cost)}`;
    case 'failed': {
      const nodeId = o.error?.nodeId ?? d?.failedNodeId;
      const kind = o.error?.kind ?? d?.error?.kind ?? 'internal';
      const message = o.error?.message ?? d?.error?.message ?? 'unknown error';
      const msg = oneLine(errorMessageOf({ kind, message }), 500);
      return `${head} ${p.red('failed')}: ${nodeId ? `node ${nodeId} ` : ''}(${kind}): ${msg}`;
    }
    case 'cancelled':
      return `${head} ${p.gray('cancelled')}`;
    case 'waiting': {
      const ids =
        o.waitingFor ??
        d?.nodes.filter((n) => n.status === 'waiting' || n.status === 'in-doubt').map((n) => n.nodeId) ??
        [];
      const doubt = ids.filter((id) => d?.nodes.find((n) => n.nodeId === id)?.status === 'in-doubt');
      // A composition node waits for approvals in its child runs: those are what to approve.
      const hints = ids
        .filter((id) => !doubt.includes(id))
        .map((id) => approveHint(o.runId, d?.nodes.find((n) => n.nodeId === id) ?? { nodeId: id }, d?.nodes));
      const approvals = hints.flatMap((h) => h.approvals);
      if (approvals.length > 0) {
        const first = hints.find((h) => h.approvals.length > 0)!;
        return `${head} ${p.yellow('waiting for approval')}: ${approvals.join(', ')} (${first.command})`;
      }
      // In doubt here, or in child runs (retried there): a person decides, not an approval.
      const doubts = [...doubt, ...hints.flatMap((h) => h.doubts)];
      if (doubts.length > 0) {
        const command =
          doubt.length > 0 ? `statepipe retry ${o.runId} ${doubt[0]}` : hints.find((h) => h.doubts.length > 0)!.command;
        return `${head} ${p.yellow('waiting for a decision')}: ${doubts.join(', ')} in doubt (${command})`;
      }
      return `${head} ${p.yellow('waiting')}`;
    }
    case 'paused': {
      const reason = o.pauseReason ?? d?.pauseReason ?? 'user';
      if (reason === 'budget') {
        // The limits come from the budget.exceeded event; what was used from the run's record
        // (nodes already running when the budget was reached finish and add their tokens).
        const b = budget ?? { tokens, costUsd: cost };
        const used = d ? { tokens: d.tokens, costUsd: d.costUsd } : b;
        const lim = [
          b.maxTokens !== undefined ? `maxTokens ${b.maxTokens}` : '',
          b.maxCostUsd !== undefined ? `maxCostUsd ${b.maxCostUsd}` : '',
        ]
          .filter(Boolean)
          .join(', ');
        return (
          `${head} ${p.yellow('paused (budget)')}: ${used.tokens} tokens · ${formatCost(used.costUsd)} used${lim ? ` of ${lim}` : ''}` +
          ` (raise it and continue: statepipe resume ${o.runId} --max-tokens N --max-cost USD)`
        );
      }
      const why = reason === 'stopped' ? ' (its host stopped)' : '';
      return `${head} ${p.yellow('paused')}${why} (statepipe resume ${o.runId})`;
    }
    default:
      return `${head} ${o.status} (statepipe resume ${o.runId})`;
  }
}

/** A line about compensations, printed before the final line of a failed or cancelled run. */
export function compensationLine(o: RunOutcome, d: RunDetail | undefined, p: Paint): string | undefined {
  if (o.status !== 'failed' && o.status !== 'cancelled') return undefined;
  const failed = d?.nodes.filter((n) => n.compensation?.status === 'failed').map((n) => n.nodeId) ?? [];
  if (failed.length > 0)
    return `  ${p.red('↺')} compensation failed: ${failed.join(', ')} (see statepipe inspect ${o.runId})`;
  if (o.compensated ?? d?.compensated) return `  ${p.green('↺')} all compensations succeeded`;
  return undefined;
}
