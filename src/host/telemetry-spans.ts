/**
 * The spans of traces, built from committed RunEvents: a run's span, its node attempts', and
 * under an attempt its model calls (GenAI semantic conventions) and agent tool calls.
 */
import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';
import type { RunEvent } from '../core/events.js';
import type { Graph, GraphNode } from '../core/graph/schema.js';

export interface TelemetryHost {
  subscribe(fn: (events: RunEvent[]) => void): () => void;
  /** The graph snapshot a run runs. */
  graphOf(runId: string): Promise<Graph | undefined>;
}

/** The SDK's parts, once loaded (telemetry.ts). */
export interface Sdk {
  provider: { getTracer(name: string, version?: string): Tracer; shutdown(): Promise<void> };
  api: typeof import('@opentelemetry/api');
}

// GenAI semantic conventions (incubating in @opentelemetry/semantic-conventions; spelled out to
// keep that module out of the load).
const GEN_AI = {
  system: 'gen_ai.system',
  providerName: 'gen_ai.provider.name',
  operation: 'gen_ai.operation.name',
  requestModel: 'gen_ai.request.model',
  responseModel: 'gen_ai.response.model',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  toolName: 'gen_ai.tool.name',
  toolCallId: 'gen_ai.tool.call.id',
} as const;

interface AttemptSpan {
  span: Span;
  ctx: Context;
  start: number;
  /** Agents: when the next step began (the end of the previous one). */
  stepStart: number;
}

interface RunSpans {
  span: Span;
  ctx: Context;
  graph: Graph | undefined;
  nodes: Map<string, GraphNode>;
  attempts: Map<string, AttemptSpan>;
  status: string;
  costUsd: number;
}

const ms = (ts: string): number => Date.parse(ts);

export class SpanBuilder {
  private readonly tracer: Tracer;
  private readonly runs = new Map<string, RunSpans>();

  constructor(
    private readonly sdk: Sdk,
    private readonly host: TelemetryHost,
  ) {
    this.tracer = sdk.provider.getTracer('statepipe');
  }

  private readonly graphs = new Map<string, Graph | undefined>();

  /** Looks up the graphs of runs not seen before (telemetry never breaks a run: a failure leaves none). */
  async graphsOf(events: RunEvent[]): Promise<void> {
    for (const e of events) {
      if (this.graphs.has(e.runId) || this.runs.has(e.runId)) continue;
      this.graphs.set(e.runId, await this.host.graphOf(e.runId).catch(() => undefined));
    }
  }

  onEvents(events: RunEvent[]): void {
    for (const e of events) {
      try {
        this.onEvent(e);
      } catch {
        /* telemetry never breaks a run */
      }
    }
  }

  private run(e: RunEvent): RunSpans {
    let r = this.runs.get(e.runId);
    if (r) return r;
    const graph = this.graphs.get(e.runId);
    this.graphs.delete(e.runId);
    const attributes: Attributes = { 'statepipe.run.id': e.runId, 'statepipe.graph.id': graph?.id ?? '' };
    if (e.type === 'run.created') attributes['statepipe.graph.hash'] = e.data.graphHash;
    const span = this.tracer.startSpan(`run ${graph?.id ?? e.runId}`, { startTime: ms(e.ts), attributes, root: true });
    const { trace, context } = this.sdk.api;
    r = {
      span,
      ctx: trace.setSpan(context.active(), span),
      graph,
      nodes: new Map((graph?.nodes ?? []).map((n) => [n.id, n])),
      attempts: new Map(),
      status: 'running',
      costUsd: 0,
    };
    this.runs.set(e.runId, r);
    return r;
  }

  private onEvent(e: RunEvent): void {
    const r = this.run(e);
    const t = ms(e.ts);
    const { SpanStatusCode } = this.sdk.api;
    switch (e.type) {
      case 'run.succeeded':
      case 'run.failed':
      case 'run.cancelled': {
        for (const id of [...r.attempts.keys()]) this.endAttempt(r, id, t, { status: 'cancelled' });
        r.span.setAttribute('statepipe.run.status', e.type.slice(4));
        r.span.setAttribute('statepipe.cost_usd', r.costUsd);
        if (e.type === 'run.failed') r.span.setStatus({ code: SpanStatusCode.ERROR, message: e.data.error.message });
        r.span.end(t);
        this.runs.delete(e.runId);
        return;
      }
      case 'run.waiting':
      case 'run.paused':
      case 'run.interrupted':
      case 'run.resumed':
        r.status = e.type === 'run.resumed' ? 'running' : e.type.slice(4);
        r.span.addEvent(e.type, t);
        return;
      case 'node.started': {
        const id = e.nodeId!;
        if (r.attempts.has(id)) this.endAttempt(r, id, t, { status: 'interrupted' });
        const node = r.nodes.get(id);
        const attributes: Attributes = {
          'statepipe.node.id': id,
          'statepipe.node.type': node?.type ?? '',
          'statepipe.attempt': e.data.attempt,
          'statepipe.idempotency_key': e.data.idempotencyKey,
        };
        if (e.data.resumed) attributes['statepipe.resumed'] = true;
        const span = this.tracer.startSpan(`node ${id}`, { startTime: t, attributes }, r.ctx);
        r.attempts.set(id, { span, ctx: this.sdk.api.trace.setSpan(r.ctx, span), start: t, stepStart: t });
        return;
      }
      case 'node.succeeded': {
        const d = e.data;
        this.endAttempt(r, e.nodeId!, t, {
          status: 'succeeded',
          ...(d.usage ? { usage: d.usage } : {}),
          ...(d.costUsd !== undefined ? { costUsd: d.costUsd } : {}),
          ...(d.model ? { model: d.model } : {}),
        });
        return;
      }
      case 'node.failed':
        this.endAttempt(r, e.nodeId!, t, {
          status: 'failed',
          error: e.data.error.message,
          ...(e.data.usage ? { usage: e.data.usage } : {}),
          ...(e.data.costUsd !== undefined ? { costUsd: e.data.costUsd } : {}),
        });
        return;
      case 'node.retrying':
        this.endAttempt(r, e.nodeId!, t, { status: 'failed', error: e.data.error.message });
        return;
      case 'node.cancelled':
      case 'node.in-doubt':
        this.endAttempt(r, e.nodeId!, t, { status: e.type.slice(5) });
        return;
      case 'agent.step':
        this.agentStep(r, e.nodeId!, t, e.data.step);
        return;
      default:
        return;
    }
  }

  private modelAttributes(node: GraphNode | undefined, model?: string): Attributes {
    const provider = typeof node?.config['provider'] === 'string' ? node.config['provider'] : 'mock';
    const requested = typeof node?.config['model'] === 'string' ? node.config['model'] : (model ?? '');
    return {
      [GEN_AI.system]: provider,
      [GEN_AI.providerName]: provider,
      [GEN_AI.operation]: 'chat',
      [GEN_AI.requestModel]: requested,
      ...(model ? { [GEN_AI.responseModel]: model } : {}),
    };
  }

  private agentStep(r: RunSpans, nodeId: string, t: number, step: import('../core/events.js').AgentStep): void {
    const a = r.attempts.get(nodeId);
    if (!a) return;
    const node = r.nodes.get(nodeId);
    if (step.kind === 'model') {
      const attributes = this.modelAttributes(node, step.model);
      if (step.usage) {
        attributes[GEN_AI.inputTokens] = step.usage.inputTokens;
        attributes[GEN_AI.outputTokens] = step.usage.outputTokens;
      }
      if (step.costUsd !== undefined) attributes['statepipe.cost_usd'] = step.costUsd;
      this.tracer
        .startSpan(
          `chat ${step.model ?? attributes[GEN_AI.requestModel]}`,
          { startTime: a.stepStart, attributes, kind: this.sdk.api.SpanKind.CLIENT },
          a.ctx,
        )
        .end(t);
    } else {
      const attributes: Attributes = {
        [GEN_AI.operation]: 'execute_tool',
        [GEN_AI.toolName]: step.name,
        [GEN_AI.toolCallId]: step.callId,
      };
      this.tracer.startSpan(`execute_tool ${step.name}`, { startTime: a.stepStart, attributes }, a.ctx).end(t);
    }
    a.stepStart = t;
  }

  private endAttempt(
    r: RunSpans,
    nodeId: string,
    t: number,
    end: {
      status: string;
      error?: string;
      usage?: { inputTokens: number; outputTokens: number };
      costUsd?: number;
      model?: string;
    },
  ): void {
    const a = r.attempts.get(nodeId);
    if (!a) return;
    r.attempts.delete(nodeId);
    const node = r.nodes.get(nodeId);
    const { SpanStatusCode, SpanKind } = this.sdk.api;
    const error = end.error !== undefined ? { code: SpanStatusCode.ERROR, message: end.error } : undefined;
    if (node?.type === 'llm' && (end.status === 'succeeded' || end.status === 'failed')) {
      const attributes = this.modelAttributes(node, end.model);
      if (end.usage) {
        attributes[GEN_AI.inputTokens] = end.usage.inputTokens;
        attributes[GEN_AI.outputTokens] = end.usage.outputTokens;
      }
      if (end.costUsd !== undefined) attributes['statepipe.cost_usd'] = end.costUsd;
      const model = this.tracer.startSpan(
        `chat ${end.model ?? attributes[GEN_AI.requestModel]}`,
        { startTime: a.start, attributes, kind: SpanKind.CLIENT },
        a.ctx,
      );
      if (error) model.setStatus(error);
      model.end(t);
    }
    a.span.setAttribute('statepipe.node.status', end.status);
    if (end.usage) {
      a.span.setAttribute(GEN_AI.inputTokens, end.usage.inputTokens);
      a.span.setAttribute(GEN_AI.outputTokens, end.usage.outputTokens);
    }
    if (end.costUsd !== undefined) a.span.setAttribute('statepipe.cost_usd', end.costUsd);
    r.costUsd += end.costUsd ?? 0;
    if (error) a.span.setStatus(error);
    a.span.end(t);
  }

  /** Ends what is still open (the process stops while runs wait or are paused). */
  endAll(): void {
    const now = Date.now();
    for (const r of this.runs.values()) {
      for (const id of [...r.attempts.keys()]) this.endAttempt(r, id, now, { status: 'interrupted' });
      r.span.setAttribute('statepipe.run.status', r.status);
      r.span.end(now);
    }
    this.runs.clear();
  }
}
