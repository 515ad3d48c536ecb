/**
 * The hierarchical trace of a run (pure): run → node → attempt → model or tool call, built
 * from the folded state (attempts with usage and cost) and the log (rendered config per
 * attempt, streamed text, agent steps, errors).
 */
import type { AgentStep, RunEvent } from '../../core/events';
import type { Graph } from '../../core/graph/schema';
import type { AttemptRecord, NodeSnapshot, RunSnapshot } from '../run/fold';

export type TraceKind = 'run' | 'node' | 'attempt' | 'model' | 'tool';

export interface TraceField {
  label: string;
  value: unknown;
  /** Renders as an error block. */
  error?: boolean;
}

export interface TraceItem {
  id: string;
  kind: TraceKind;
  title: string;
  status?: string;
  tokens?: number;
  costUsd?: number;
  /** `tokens` holds an estimate (a stream still open): shown `≈`, as everywhere in the run view. */
  estimating?: boolean;
  ms?: number;
  model?: string;
  fields: TraceField[];
  children: TraceItem[];
}

interface AttemptLog {
  input?: unknown;
  stream: string;
  steps: { step: AgentStep; ts: number }[];
  startedTs?: number;
}

const keyOf = (nodeId: string, attempt: number) => `${nodeId}#${attempt}`;

function attemptLogs(events: readonly RunEvent[]): Map<string, AttemptLog> {
  const logs = new Map<string, AttemptLog>();
  const get = (nodeId: string, attempt: number) => {
    const k = keyOf(nodeId, attempt);
    let l = logs.get(k);
    if (!l) logs.set(k, (l = { stream: '', steps: [] }));
    return l;
  };
  for (const e of events) {
    if (!e.nodeId) continue;
    if (e.type === 'node.started') {
      const l = get(e.nodeId, e.data.attempt);
      if (e.data.input !== undefined) l.input = e.data.input;
      l.startedTs = Date.parse(e.ts);
    } else if (e.type === 'node.tokens') get(e.nodeId, e.data.attempt).stream += e.data.text;
    else if (e.type === 'agent.step')
      get(e.nodeId, e.data.attempt).steps.push({ step: e.data.step, ts: Date.parse(e.ts) });
  }
  return logs;
}

const pick = (o: unknown, keys: string[]): Record<string, unknown> | undefined => {
  if (!o || typeof o !== 'object') return undefined;
  const src = o as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of keys) if (src[k] !== undefined) out[k] = src[k];
  return Object.keys(out).length ? out : undefined;
};

const tokensOf = (u: { inputTokens: number; outputTokens: number } | undefined) =>
  u ? u.inputTokens + u.outputTokens : undefined;

function callsOf(
  type: string,
  nodeId: string,
  attempt: number,
  log: AttemptLog | undefined,
  rec: NodeSnapshot,
  a: AttemptRecord,
  isLast: boolean,
): TraceItem[] {
  const id = `${nodeId}#${attempt}`;
  const ms = a.finishedAt !== undefined ? a.finishedAt - a.startedAt : undefined;
  const input = log?.input;
  if (type === 'llm') {
    const reply =
      log?.stream ||
      (isLast && rec.output && typeof rec.output === 'object' ? (rec.output as { text?: unknown }).text : undefined);
    const prompt = pick(input, ['system', 'prompt', 'messages']);
    return [
      {
        id: `${id}/model`,
        kind: 'model',
        title: `model call · ${String((input as { model?: unknown } | undefined)?.model ?? a.model ?? 'model')}`,
        status: a.status,
        ...(tokensOf(a.usage) !== undefined ? { tokens: tokensOf(a.usage)! } : {}),
        ...(a.costUsd !== undefined ? { costUsd: a.costUsd } : {}),
        ...(ms !== undefined ? { ms } : {}),
        ...(a.model ? { model: a.model } : {}),
        fields: [
          { label: 'prompt', value: prompt ?? input },
          ...(reply !== undefined && reply !== '' ? [{ label: 'reply', value: reply }] : []),
          ...(a.usage ? [{ label: 'usage', value: a.usage }] : []),
        ],
        children: [],
      },
    ];
  }
  if (type === 'agent') {
    let prev = log?.startedTs ?? a.startedAt;
    return (log?.steps ?? []).map(({ step, ts }, i) => {
      const lat = ts - prev;
      prev = ts;
      if (step.kind === 'model') {
        return {
          id: `${id}/step${i}`,
          kind: 'model' as const,
          title: `model call${step.toolCall ? ` → ${step.toolCall.name}` : ''}`,
          ms: lat,
          ...(tokensOf(step.usage) !== undefined ? { tokens: tokensOf(step.usage)! } : {}),
          ...(step.costUsd !== undefined ? { costUsd: step.costUsd } : {}),
          ...(step.model ? { model: step.model } : {}),
          fields: [
            ...(i === 0
              ? [{ label: 'prompt', value: pick(input, ['system', 'prompt', 'messages', 'tools']) ?? input }]
              : []),
            ...(step.text ? [{ label: 'reply', value: step.text }] : []),
            ...(step.toolCall ? [{ label: 'tool call', value: step.toolCall }] : []),
          ],
          children: [],
        };
      }
      return {
        id: `${id}/step${i}`,
        kind: 'tool' as const,
        title: `tool · ${step.name}`,
        ms: lat,
        fields: [
          { label: 'args', value: step.args },
          { label: 'result', value: step.result },
        ],
        children: [],
      };
    });
  }
  if (type === 'http') {
    return [
      {
        id: `${id}/http`,
        kind: 'tool',
        title: `http ${String((input as { method?: unknown } | undefined)?.method ?? 'GET')} ${String((input as { url?: unknown } | undefined)?.url ?? '')}`,
        status: a.status,
        ...(ms !== undefined ? { ms } : {}),
        fields: [
          { label: 'request', value: input },
          ...(isLast && rec.output !== undefined ? [{ label: 'response', value: rec.output }] : []),
        ],
        children: [],
      },
    ];
  }
  return [];
}

/** The trace tree of a run folded to its end. */
export function buildTrace(graph: Graph, state: RunSnapshot, events: readonly RunEvent[]): TraceItem {
  const logs = attemptLogs(events);
  const nodes: TraceItem[] = [];
  for (const g of graph.nodes) {
    const n = state.nodes[g.id];
    if (!n || n.status === 'idle') continue;
    const attempts = n.attempts.map((a, i): TraceItem => {
      const log = logs.get(keyOf(g.id, a.attempt));
      const isLast = i === n.attempts.length - 1;
      const ms = a.finishedAt !== undefined ? a.finishedAt - a.startedAt : undefined;
      const fields: TraceField[] = [];
      if (log?.input !== undefined && g.type !== 'llm' && g.type !== 'http')
        fields.push({ label: 'input', value: log.input });
      if (isLast && n.output !== undefined && g.type !== 'llm' && g.type !== 'http')
        fields.push({ label: 'output', value: n.output });
      if (a.error) fields.push({ label: 'error', value: a.error, error: true });
      return {
        id: `${g.id}#${a.attempt}`,
        kind: 'attempt',
        title: `attempt ${a.attempt}`,
        status: a.status,
        ...(ms !== undefined ? { ms } : {}),
        ...(tokensOf(a.usage) !== undefined ? { tokens: tokensOf(a.usage)! } : {}),
        ...(a.costUsd !== undefined ? { costUsd: a.costUsd } : {}),
        fields,
        children: callsOf(g.type, g.id, a.attempt, log, n, a, isLast),
      };
    });
    // The node's count as its inspector and its card show it (live; a composition node's children in it).
    const tokens = n.liveTokens;
    const cost = n.liveCostUsd;
    const fields: TraceField[] = [];
    // A failed attempt shows its own error; the node repeats it only when it failed before any attempt.
    if (n.error && n.status === 'failed' && n.attempts.length === 0)
      fields.push({ label: 'error', value: n.error, error: true });
    if (n.skipReason) fields.push({ label: 'skipped', value: n.skipReason });
    if (n.approval) fields.push({ label: 'approval', value: n.approval });
    nodes.push({
      id: g.id,
      kind: 'node',
      title: `${g.label ? `${g.label} · ` : ''}${g.id} (${g.type})`,
      status: n.status,
      ...(tokens ? { tokens } : {}),
      ...(cost ? { costUsd: cost } : {}),
      ...(n.estimating ? { estimating: true } : {}),
      ...(n.durationMs !== undefined ? { ms: n.durationMs } : {}),
      fields,
      children: attempts,
    });
  }
  const runFields: TraceField[] = [{ label: 'input', value: state.input }];
  if (state.result !== undefined) runFields.push({ label: 'result', value: state.result });
  if (state.error)
    runFields.push({
      label: 'error',
      value: { ...state.error, ...(state.failedNodeId ? { nodeId: state.failedNodeId } : {}) },
      error: true,
    });
  const ms =
    state.startedAt && state.finishedAt ? Date.parse(state.finishedAt) - Date.parse(state.startedAt) : undefined;
  return {
    id: state.runId,
    kind: 'run',
    title: `run ${state.runId}`,
    status: state.status,
    // The run's count as the header and the run summary show it.
    tokens: state.liveTokens,
    costUsd: state.liveCostUsd,
    ...(state.estimating ? { estimating: true } : {}),
    ...(ms !== undefined ? { ms } : {}),
    fields: runFields,
    children: nodes,
  };
}
