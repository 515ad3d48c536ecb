/**
 * A ModelProvider over the Vercel AI SDK (`streamText`): tokens streamed to `req.onToken`,
 * usage and cost from the price table, `req.signal` honoured, the provider's rate limiter
 * respected, and failures classified (errors.ts) with every secret scrubbed.
 *
 * Tools: AI SDK tool definitions without `execute`, so the first tool call ends the step and
 * is returned unexecuted: the agent runner runs tools itself, each as a durable step.
 * The AI SDK's own retries are off (`maxRetries: 0`): the engine retries.
 */
import type { JSONSchema7, LanguageModel, ModelMessage, ToolSet } from 'ai';

/** The SDK is imported on first use: a CLI that runs only mock models never loads it. */
type Ai = typeof import('ai');
let ai: Promise<Ai> | undefined;
const loadAi = (): Promise<Ai> => (ai ??= import('ai'));
import type { Usage } from '../../core/events.js';
import type { AgentMessage } from '../../core/nodes/agent/runner.js';
import type { ModelProvider, ModelReply, ModelRequest } from '../../core/ports.js';
import { classifyProviderError } from './errors.js';
import type { RateLimiter } from './limits.js';
import type { PriceTable } from './prices.js';

export interface AiSdkProviderOptions {
  /** `openai`, `anthropic`, `openai-compatible` (limits, prices and messages use it). */
  name: string;
  /** The AI SDK model for a request; throws a NodeFailure when the provider is not set up. */
  model(req: ModelRequest): LanguageModel;
  /** The secret values in use now (scrubbed from every error). */
  secrets(): string[];
  prices: PriceTable;
  limiter?: RateLimiter | undefined;
}

/** The AI SDK messages of a request (tool calls and results of an agent included). */
export function toModelMessages(messages: readonly AgentMessage[]): ModelMessage[] {
  return messages.map((m): ModelMessage => {
    if (m.role === 'assistant' && m.toolCall) {
      return {
        role: 'assistant',
        content: [
          ...(m.content ? [{ type: 'text' as const, text: m.content }] : []),
          {
            type: 'tool-call' as const,
            toolCallId: m.toolCall.id,
            toolName: m.toolCall.name,
            input: m.toolCall.args ?? {},
          },
        ],
      };
    }
    if (m.role === 'tool' && m.toolCallId) {
      return {
        role: 'tool',
        content: [
          {
            type: 'tool-result',
            toolCallId: m.toolCallId,
            toolName: m.toolName ?? 'tool',
            output: { type: 'text', value: m.content },
          },
        ],
      };
    }
    if (m.role === 'assistant') return { role: 'assistant', content: m.content };
    // A tool result without its call id (not from the agent runner): shown as text.
    return { role: 'user', content: m.role === 'tool' ? `Tool result: ${m.content}` : m.content };
  });
}

function toolSet(sdk: Ai, tools: ModelRequest['tools']): ToolSet | undefined {
  if (!tools || tools.length === 0) return undefined;
  const set: ToolSet = {};
  for (const t of tools) {
    const schema = (
      t.inputSchema && typeof t.inputSchema === 'object' ? t.inputSchema : { type: 'object', properties: {} }
    ) as JSONSchema7;
    set[t.name] = sdk.tool({
      ...(t.description ? { description: t.description } : {}),
      inputSchema: sdk.jsonSchema(schema),
    });
  }
  return set;
}

/** A rough token count for the rate limiter before the real usage is known. */
export function estimateTokens(req: ModelRequest): number {
  let chars = req.system?.length ?? 0;
  for (const m of req.messages) chars += m.content.length;
  return Math.ceil(chars / 4) + (req.maxTokens ?? 256);
}

const count = (n: number | undefined): number => (typeof n === 'number' && Number.isFinite(n) ? n : 0);

export function aiSdkProvider(opts: AiSdkProviderOptions): ModelProvider {
  return {
    async generate(req: ModelRequest): Promise<ModelReply> {
      const secrets = opts.secrets();
      const fail = (err: unknown) =>
        classifyProviderError(err, { provider: opts.name, model: req.model, signal: req.signal, secrets });
      let model: LanguageModel;
      try {
        model = opts.model(req);
      } catch (err) {
        throw fail(err);
      }
      let permit;
      try {
        permit = await opts.limiter?.acquire(estimateTokens(req), req.signal);
      } catch (err) {
        throw fail(err);
      }
      let used: number | undefined;
      try {
        const sdk = await loadAi();
        const tools = toolSet(sdk, req.tools);
        const result = sdk.streamText({
          model,
          messages: toModelMessages(req.messages as AgentMessage[]),
          ...(req.system !== undefined ? { system: req.system } : {}),
          ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
          ...(req.maxTokens !== undefined ? { maxOutputTokens: req.maxTokens } : {}),
          ...(tools ? { tools } : {}),
          abortSignal: req.signal,
          maxRetries: 0,
          // The default logs the whole error (request included) to the console.
          onError: () => undefined,
        });
        let text = '';
        let toolCall: ModelReply['toolCall'];
        let usage: Usage | undefined;
        let modelId: string | undefined;
        for await (const part of result.fullStream) {
          if (part.type === 'text-delta') {
            if (part.text) {
              text += part.text;
              req.onToken(part.text);
            }
          } else if (part.type === 'tool-call') {
            toolCall ??= { id: part.toolCallId, name: part.toolName, args: part.input ?? {} };
          } else if (part.type === 'finish-step') {
            modelId ??= part.response?.modelId;
          } else if (part.type === 'finish') {
            usage = {
              inputTokens: count(part.totalUsage.inputTokens),
              outputTokens: count(part.totalUsage.outputTokens),
            };
          } else if (part.type === 'error') {
            throw part.error;
          } else if (part.type === 'abort') {
            throw req.signal.reason ?? Object.assign(new Error('aborted'), { name: 'AbortError' });
          }
        }
        if (req.signal.aborted) throw req.signal.reason;
        const u = usage ?? { inputTokens: 0, outputTokens: 0 };
        used = u.inputTokens + u.outputTokens;
        const name = modelId || req.model;
        const reply: ModelReply = { text, usage: u, costUsd: opts.prices.cost(opts.name, name, u), model: name };
        if (toolCall) reply.toolCall = toolCall;
        return reply;
      } catch (err) {
        const failure = fail(err);
        if (failure.kind === 'rate-limit') opts.limiter?.pause(failure.retryAfterMs ?? 1000);
        throw failure;
      } finally {
        permit?.done(used);
      }
    },
  };
}
