/**
 * `--inspect`: a live view of every node's state. On a TTY the table is redrawn in place
 * (ANSI cursor movement, throttled); elsewhere one line per node transition is printed.
 */
import { nodeStatusAfter, runStatusAfter } from '../core/engine/machines.js';
import type { NodeStatus } from '../core/ports.js';
import type { RunEvent } from '../core/events.js';
import type { RunDetail } from '../host/service.js';
import {
  errorMessageOf,
  formatCost,
  formatDuration,
  oneLine,
  paint,
  statusColor,
  stripAnsi,
  table,
  type Out,
  type Paint,
} from './render.js';

interface Row {
  nodeId: string;
  type: string;
  status: NodeStatus | string;
  attempt: number;
  startedAt?: number;
  durationMs?: number;
  tokens: number;
  costUsd: number;
  note: string;
}

const REDRAW_MS = 80;
const ESC = '\u001b[';

export class InspectView {
  private readonly rows = new Map<string, Row>();
  private readonly p: Paint;
  private runId = '';
  private runStatus = 'queued';
  private tokens = 0;
  private costUsd = 0;
  private drawnLines = 0;
  private pending: NodeJS.Timeout | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private readonly live: boolean;
  private finished = false;

  constructor(
    private readonly out: Out,
    private readonly seed: (runId: string) => Promise<RunDetail | undefined>,
  ) {
    this.p = paint(out);
    this.live = out.isTTY;
  }

  /** Events are applied in order, each run's once its node list is known. */
  private chain: Promise<void> = Promise.resolve();

  private async ensureSeeded(runId: string): Promise<void> {
    if (this.runId === runId) return;
    this.runId = runId;
    this.rows.clear();
    const d = await this.seed(runId);
    if (!d) return;
    this.runStatus = d.status;
    this.tokens = d.tokens;
    this.costUsd = d.costUsd;
    for (const n of d.nodes) {
      const row: Row = {
        nodeId: n.nodeId,
        type: n.type,
        status: n.status,
        attempt: n.attempt,
        tokens: n.tokens,
        costUsd: n.costUsd,
        note: '',
      };
      if (n.durationMs !== undefined) row.durationMs = n.durationMs;
      if (n.error) row.note = `${n.error.kind}: ${errorMessageOf(n.error)}`;
      if (n.skipReason) row.note = n.skipReason;
      this.rows.set(n.nodeId, row);
    }
  }

  /** Child runs of subgraph, map and loop nodes: shown through their parent's node, not here. */
  private readonly children = new Set<string>();

  onEvents(events: RunEvent[]): void {
    this.chain = this.chain.then(async () => {
      for (const e of events) {
        if (e.type === 'run.created' && e.data.parent) this.children.add(e.runId);
        if (this.children.has(e.runId)) continue;
        await this.ensureSeeded(e.runId);
        if (e.type === 'run.created') this.out.write(`[run] id=${e.runId} started\n`);
        this.apply(e);
      }
      if (this.live && !this.finished) this.schedule();
    });
  }

  /** Resolves once every event handed over so far is shown. */
  settled(): Promise<void> {
    return this.chain;
  }

  private apply(e: RunEvent): void {
    this.runStatus = runStatusAfter(e.type) ?? this.runStatus;
    const status = e.nodeId === undefined ? undefined : nodeStatusAfter(e.type, e.data as { reusedFrom?: string });
    if (!e.nodeId) return;
    const row = this.rows.get(e.nodeId);
    if (!row) return;
    const before = row.status;
    switch (e.type) {
      case 'node.started':
        row.attempt = e.data.attempt;
        row.startedAt = Date.parse(e.ts);
        row.note = '';
        break;
      case 'node.succeeded':
      case 'node.failed': {
        row.durationMs = e.data.durationMs;
        const t = e.data.usage ? e.data.usage.inputTokens + e.data.usage.outputTokens : 0;
        row.tokens += t;
        row.costUsd += e.data.costUsd ?? 0;
        this.tokens += t;
        this.costUsd += e.data.costUsd ?? 0;
        row.note =
          e.type === 'node.failed'
            ? `${e.data.error.kind}: ${errorMessageOf(e.data.error)}`
            : e.data.reusedFrom
              ? `reused from ${e.data.reusedFrom}`
              : '';
        break;
      }
      case 'node.retrying':
        row.note = `retry in ${formatDuration(e.data.delayMs)} after ${e.data.error.kind}: ${errorMessageOf(e.data.error)}`;
        break;
      case 'node.skipped':
        row.note = e.data.reason;
        break;
      case 'approval.requested':
        row.note = `approve: statepipe approve ${e.runId} ${e.nodeId}`;
        break;
      case 'compensation.failed':
        row.note = `compensation failed: ${e.data.error.message}`;
        break;
      default:
        break;
    }
    if (status) row.status = status;
    if (!this.live && status && status !== before) {
      const p = this.p;
      const note = row.note ? ` ${p.dim(oneLine(row.note, 200))}` : '';
      const dur = status === 'succeeded' || status === 'failed' ? ` ${formatDuration(row.durationMs)}` : '';
      this.out.write(`[inspect] ${row.nodeId}: ${before} → ${p[statusColor(status)](status)}${dur}${note}\n`);
    }
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.draw();
    }, REDRAW_MS);
    if (!this.ticker) {
      this.ticker = setInterval(() => this.draw(), 1000);
      this.ticker.unref();
    }
  }

  private render(): string[] {
    const p = this.p;
    const now = Date.now();
    const rows = [...this.rows.values()];
    const height = Math.max(5, (process.stdout.rows || 40) - 3);
    const shown = rows.length > height - 2 ? rows.slice(0, height - 3) : rows;
    const width = this.out.columns;
    const body = shown.map((r) => {
      const running = r.status === 'running' && r.startedAt !== undefined;
      return [
        r.nodeId,
        r.type,
        p[statusColor(r.status)](String(r.status)),
        r.attempt > 0 ? String(r.attempt) : '',
        running ? formatDuration(now - r.startedAt!) : formatDuration(r.durationMs),
        r.tokens ? String(r.tokens) : '',
        r.costUsd ? formatCost(r.costUsd) : '',
        oneLine(r.note, 60),
      ];
    });
    const text = table(['node', 'type', 'status', 'try', 'time', 'tokens', 'cost', 'note'], body, p)
      .trimEnd()
      .split('\n');
    if (shown.length < rows.length) text.push(p.dim(`… ${rows.length - shown.length} more nodes`));
    text.push(
      `run ${this.runId} ${p[statusColor(this.runStatus)](this.runStatus)} · ${this.tokens} tokens · ${formatCost(this.costUsd)}`,
    );
    // Never wrap: a wrapped line would break the cursor arithmetic.
    return text.map((l) => (stripAnsi(l).length >= width ? stripAnsi(l).slice(0, width - 1) : l));
  }

  private draw(): void {
    if (!this.live || this.rows.size === 0) return;
    const lines = this.render();
    let s = this.drawnLines > 0 ? `${ESC}${this.drawnLines}A` : '';
    for (const l of lines) s += `\r${ESC}2K${l}\n`;
    if (this.drawnLines > lines.length) s += `${ESC}0J`;
    this.out.write(s);
    this.drawnLines = lines.length;
  }

  /** Final redraw; stops the timers. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.pending) clearTimeout(this.pending);
    if (this.ticker) clearInterval(this.ticker);
    this.pending = this.ticker = undefined;
    this.draw();
  }
}
