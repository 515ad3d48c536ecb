/**
 * The `agent` node: a bounded loop of model calls; when the model asks for a tool, the runner
 * runs it (an http request or sandboxed code) and shows the model the result. Every finished
 * model call and tool call is committed with `ctx.recordStep` before the loop goes on, and an
 * attempt starts by replaying `ctx.recordedSteps`: after a crash, finished steps are taken from
 * the record, not executed again (docs/graph-format.md "`agent`").
 *
 * Tools: `{ name, description?, inputSchema?, run: { type: 'http' | 'code', config } }`.
 *  - http: `run.config` (`method`, `url`, `headers?`, `body?`) is rendered against
 *    `{ input, nodes, args }` (args: the model's arguments); with no `body`, a POST/PUT/PATCH
 *    sends the arguments as JSON. The model sees `{ status, body }`. Idempotency-Key:
 *    `<runId>:<nodeId>:<attempt>:step-<index>`, so a resumed attempt repeats its key.
 *  - code: `run.config.code` is the body of `function (input, nodes)` with `input` = the
 *    arguments and `nodes` = the upstream outputs; the model sees the returned value.
 * A tool that fails for good (4xx, a throw in code, arguments that break `inputSchema`, an
 * unknown tool) gives the model `{ error }` instead; a retryable failure fails the attempt
 * (the engine retries it and the finished steps are replayed).
 * Pure: no node:* imports.
 */
import { NodeFailure, toNodeError } from '../../errors.js';
import type { AgentStep, Usage } from '../../events.js';
import { DEFAULT_TIMEOUT_MS } from '../../graph/schema.js';
import { DEFAULT_MAX_STEPS } from './index.js';
import { renderTemplates } from '../../graph/templates.js';
import type { ModelRequest, NodeResult, NodeRunContext, NodeRunner, TemplateScope } from '../../ports.js';
import {
  buildRequest,
  formatSchemaProblems,
  parseAndValidate,
  providerWithFallback,
  schemaFeedback,
  validatorFor,
  type SchemaProblem,
} from '../llm/model-call.js';
import {
  failureFromSignal,
  num,
  obj,
  parseTools,
  plainHttpTool,
  TOLD_TO_MODEL,
  toolContent,
  type AgentTool,
} from './tools.js';
import { callModel, modelStep } from './model-step.js';

export type { AgentTool };

/**
 * A model request message as the agent sends it: `ModelRequest['messages']` plus the tool
 * call of an assistant turn and the call a tool result answers. Providers that support tools
 * read these optional fields; others see plain text.
 */
export type AgentMessage = ModelRequest['messages'][number] & {
  toolCall?: { id: string; name: string; args: unknown };
  toolCallId?: string;
  toolName?: string;
};

type ToolCall = { id: string; name: string; args: unknown };

/** The output of an `agent` node (docs/graph-format.md "`agent`"). */
export interface AgentOutput {
  text: string;
  json?: unknown;
  steps: AgentStep[];
  usage: Usage;
  costUsd: number;
  model: string;
}

export interface AgentRunnerOptions {
  /**
   * Runs an http tool: gets the agent's context with `config` = the tool's rendered
   * `run.config` and the step's idempotency key; returns `{ output: { status, headers, body } }`.
   * The host passes its `http` runner; without one a plain fetch is used.
   */
  httpTool?: NodeRunner;
}

class AgentLoop {
  readonly steps: AgentStep[] = [];
  readonly messages: AgentMessage[];
  readonly usage: Usage = { inputTokens: 0, outputTokens: 0 };
  costUsd = 0;
  model: string;
  modelCalls = 0;
  private readonly tools: AgentTool[];
  private readonly schema: object | undefined;
  private readonly base: ModelRequest;

  constructor(
    private readonly ctx: NodeRunContext,
    private readonly opts: AgentRunnerOptions,
  ) {
    const { previousError: _ignored, ...rest } = ctx;
    // Schema feedback goes after the rejected answer (see replay), not into the first prompt.
    this.base = buildRequest(rest as NodeRunContext);
    this.messages = [...this.base.messages];
    this.model = this.base.model;
    this.tools = parseTools(ctx.node.id, ctx.config['tools']);
    const schema = ctx.config['outputSchema'];
    if (schema !== undefined && schema !== null && typeof schema !== 'object') {
      throw new NodeFailure('schema', `${ctx.node.id}: outputSchema must be a JSON Schema object`, {
        retryable: false,
      });
    }
    this.schema = (schema ?? undefined) as object | undefined;
  }

  private add(step: AgentStep): void {
    this.steps.push(step);
    if (step.kind === 'model') {
      this.modelCalls++;
      this.usage.inputTokens += num(step.usage?.inputTokens) ?? 0;
      this.usage.outputTokens += num(step.usage?.outputTokens) ?? 0;
      this.costUsd += num(step.costUsd) ?? 0;
      if (step.model) this.model = step.model;
      const m: AgentMessage = { role: 'assistant', content: step.text ?? '' };
      if (step.toolCall) m.toolCall = step.toolCall;
      this.messages.push(m);
    } else {
      this.messages.push({
        role: 'tool',
        content: toolContent(step.result),
        toolCallId: step.callId,
        toolName: step.name,
      });
    }
  }

  /** The validated output of a final answer; throws the schema failure when it does not validate. */
  private finish(text: string): NodeResult {
    const output: AgentOutput = {
      text,
      steps: this.steps,
      usage: { ...this.usage },
      costUsd: round(this.costUsd),
      model: this.model,
    };
    if (this.schema) output.json = parseAndValidate(this.ctx.node.id, text, this.schema);
    return { output, usage: output.usage, costUsd: output.costUsd, model: output.model };
  }

  /** Replays the record; returns the result when it already holds a valid final answer. */
  replay(): NodeResult | { pendingCall?: ToolCall } {
    let answered: string | undefined;
    let pendingCall: ToolCall | undefined;
    for (const step of this.ctx.recordedSteps) {
      if (!step) continue;
      if (answered !== undefined) this.rejectAnswer(answered);
      answered = undefined;
      this.add(step);
      if (step.kind === 'model') {
        pendingCall = step.toolCall;
        if (!step.toolCall) answered = step.text ?? '';
      } else {
        pendingCall = undefined;
      }
    }
    if (answered !== undefined) {
      try {
        return this.finish(answered);
      } catch (err) {
        if (!(err instanceof NodeFailure) || err.kind !== 'schema' || !err.retryable) throw err;
        this.rejectAnswer(answered);
      }
    }
    return pendingCall ? { pendingCall } : {};
  }

  /** After a recorded answer that broke outputSchema: tell the model what was wrong. */
  private rejectAnswer(text: string): void {
    if (!this.schema) return;
    try {
      parseAndValidate(this.ctx.node.id, text, this.schema);
    } catch (err) {
      this.messages.push({ role: 'user', content: schemaFeedback(toNodeError(err)).trim() });
    }
  }

  async run(): Promise<NodeResult> {
    const ctx = this.ctx;
    const replayed = this.replay();
    if ('output' in replayed) return replayed;
    let pending = replayed.pendingCall;
    const maxSteps = num(ctx.config['maxSteps']) ?? DEFAULT_MAX_STEPS;
    const provider = providerWithFallback(
      ctx,
      typeof ctx.config['provider'] === 'string' && ctx.config['provider'] ? ctx.config['provider'] : 'mock',
    );
    const toolDefs = this.tools.map((t) => ({
      name: t.name,
      ...(t.description ? { description: t.description } : {}),
      ...(t.inputSchema !== undefined ? { inputSchema: t.inputSchema } : {}),
    }));
    for (;;) {
      if (ctx.signal.aborted) throw failureFromSignal(ctx.signal, ctx.node.id);
      if (pending) {
        const call = pending;
        pending = undefined;
        const result = await this.runTool(call);
        const step: AgentStep = { kind: 'tool', name: call.name, callId: call.id, args: call.args, result };
        await ctx.recordStep(step);
        this.add(step);
        continue;
      }
      if (this.modelCalls >= maxSteps) {
        throw new NodeFailure(
          'provider',
          `${ctx.node.id}: the agent gave no answer within maxSteps (${maxSteps} model calls)`,
          { retryable: false },
        );
      }
      const spent = { tokens: this.usage.inputTokens + this.usage.outputTokens, costUsd: this.costUsd };
      if (ctx.overBudget?.(spent)) {
        throw new NodeFailure(
          'budget',
          `${ctx.node.id}: the run's budget is spent (${spent.tokens} tokens used by this agent so far): paused before model call ${this.modelCalls + 1}`,
          { retryable: false, details: spent },
        );
      }
      const req: ModelRequest = { ...this.base, messages: [...this.messages] };
      if (toolDefs.length > 0) req.tools = toolDefs;
      const reply = await callModel(ctx, () => provider.generate(req));
      if (ctx.signal.aborted) throw failureFromSignal(ctx.signal, ctx.node.id);
      const step = modelStep(reply, req.model);
      await ctx.recordStep(step);
      this.add(step);
      if (step.kind === 'model' && step.toolCall) {
        pending = step.toolCall;
        continue;
      }
      return this.finish(step.kind === 'model' ? (step.text ?? '') : '');
    }
  }

  /** Runs one tool call; the result the model sees (an `{ error }` for failures it should hear about). */
  private async runTool(call: ToolCall): Promise<unknown> {
    const ctx = this.ctx;
    const tool = this.tools.find((t) => t.name === call.name);
    if (!tool)
      return {
        error: `unknown tool "${call.name}"; the tools are: ${this.tools.map((t) => t.name).join(', ') || 'none'}`,
      };
    if (tool.inputSchema && typeof tool.inputSchema === 'object') {
      let validate;
      try {
        validate = validatorFor(tool.inputSchema);
      } catch {
        validate = undefined;
      }
      if (validate && !validate(call.args)) {
        const problems: SchemaProblem[] = (validate.errors ?? []).map((e) => ({
          instancePath: e.instancePath,
          message: e.message ?? e.keyword,
        }));
        return { error: `invalid arguments for ${tool.name}: ${formatSchemaProblems(problems)}` };
      }
    }
    const index = this.steps.length;
    try {
      if (tool.run.type === 'code') return await this.runCodeTool(tool, call.args);
      return await this.runHttpTool(tool, call.args, `${ctx.idempotencyKey}:step-${index}`);
    } catch (err) {
      if (ctx.signal.aborted) throw failureFromSignal(ctx.signal, ctx.node.id);
      const e = toNodeError(err);
      if (!e.retryable && TOLD_TO_MODEL.has(e.kind)) {
        ctx.log('warn', `${ctx.node.id}: tool ${tool.name} failed (${e.kind}): ${e.message}`);
        return { error: e.message, ...(e.details !== undefined ? { details: e.details } : {}) };
      }
      if (err instanceof NodeFailure) throw err;
      throw new NodeFailure(e.kind, `${ctx.node.id}: tool ${tool.name}: ${e.message}`, { retryable: e.retryable });
    }
  }

  private upstreamOutputs(): Record<string, unknown> {
    const nodes: Record<string, unknown> = {};
    for (const [id, entry] of Object.entries(this.ctx.scope.nodes)) nodes[id] = entry?.output;
    return nodes;
  }

  private async runCodeTool(tool: AgentTool, args: unknown): Promise<unknown> {
    const run = this.ctx.services.runCode;
    if (!run)
      throw new NodeFailure('internal', `${this.ctx.node.id}: this host cannot run code tools`, { retryable: false });
    const code = tool.run.config['code'];
    if (typeof code !== 'string')
      throw new NodeFailure('code', `tool ${tool.name}: run.config.code must be a string`, { retryable: false });
    const timeoutMs = num(tool.run.config['timeoutMs']) ?? DEFAULT_TIMEOUT_MS;
    return run(code, { input: args, nodes: this.upstreamOutputs() }, { timeoutMs, signal: this.ctx.signal });
  }

  private async runHttpTool(tool: AgentTool, args: unknown, idempotencyKey: string): Promise<unknown> {
    const ctx = this.ctx;
    const scope = { ...ctx.scope, args } as TemplateScope;
    const config = (await renderTemplates(tool.run.config, scope)) as Record<string, unknown>;
    const method = String(config['method'] ?? 'GET').toUpperCase();
    if (config['body'] === undefined && (method === 'POST' || method === 'PUT' || method === 'PATCH'))
      config['body'] = args ?? {};
    const runner = this.opts.httpTool ?? plainHttpTool;
    const res = await runner({
      ...ctx,
      config,
      idempotencyKey,
      emitTokens: () => undefined,
      recordStep: async () => undefined,
    });
    const out = obj(res.output);
    return out ? { status: out['status'], body: out['body'] } : res.output;
  }
}

const round = (usd: number): number => Math.round(usd * 1e9) / 1e9;

/** The agent runner; the host passes its http runner for http tools. */
export function createAgentRunner(opts: AgentRunnerOptions = {}): NodeRunner {
  return async (ctx) => {
    if (ctx.signal.aborted) throw failureFromSignal(ctx.signal, ctx.node.id);
    return new AgentLoop(ctx, opts).run();
  };
}

export const agentRunner: NodeRunner = createAgentRunner();
