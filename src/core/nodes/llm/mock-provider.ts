/**
 * The built-in `mock` model provider (docs/graph-format.md "The `mock` provider"): no network,
 * deterministic, streamed token by token through the injectable clock.
 * Pure: no node:* imports.
 */
import { NodeFailure } from '../../errors.js';
import type { Usage } from '../../events.js';
import type { Clock, ModelProvider, ModelReply, ModelRequest } from '../../ports.js';
import { realClock } from '../../engine/clock.js';

export interface MockConfig {
  /** A string, or any JSON value (streamed as its JSON text). */
  reply?: unknown;
  /** Default 200; 0 = no delay. */
  tokensPerSecond?: number;
  /** The first N attempts fail with a retryable `provider` error. */
  failTimes?: number;
  usage?: { inputTokens?: number; outputTokens?: number };
  /** Agent steps: `{ toolCall: { name, args } }` or `{ reply }`, indexed by model call. */
  script?: unknown[];
}

export type MockScriptStep = { toolCall: { name: string; args: unknown } } | { reply: unknown };

export interface MockProviderOptions {
  /** Where the delays between tokens go (a simulated clock makes them instant). */
  clock?: Clock;
  /**
   * For `mock.script`: the index of this model call within the node. When omitted it is the
   * number of `assistant` messages in the request (one per earlier model call).
   */
  stepIndex?: number;
}

export const DEFAULT_MOCK_TOKENS_PER_SECOND = 200;

/** Splits text into whitespace-separated pieces that keep their whitespace: join('') === text. */
export function splitTokens(text: string): string[] {
  const pieces = text.match(/\s*\S+\s*/g);
  if (!pieces) return text.length > 0 ? [text] : [];
  return pieces;
}

/** How many whitespace-separated pieces a text holds (the mock's token count). */
export function countTokens(text: string): number {
  return text.match(/\S+/g)?.length ?? 0;
}

/** The text of a mock reply: strings as they are, other values as their JSON text. */
export function replyText(reply: unknown): string {
  if (typeof reply === 'string') return reply;
  if (reply === undefined) return '';
  return JSON.stringify(reply) ?? '';
}

function asMockConfig(mock: unknown): MockConfig {
  return mock !== null && typeof mock === 'object' && !Array.isArray(mock) ? (mock as MockConfig) : {};
}

/** Step `index` of `mock.script`, or undefined when there is no such step (or no script). */
export function mockScriptStep(mock: unknown, index: number): MockScriptStep | undefined {
  const script = asMockConfig(mock).script;
  if (!Array.isArray(script) || index < 0 || index >= script.length) return undefined;
  const step: unknown = script[index];
  if (step === null || typeof step !== 'object') {
    throw new NodeFailure('provider', `mock.script[${index}] must be an object with "toolCall" or "reply"`, {
      retryable: false,
    });
  }
  const s = step as Record<string, unknown>;
  if (s['toolCall'] !== undefined) {
    const tc = s['toolCall'] as Record<string, unknown> | null;
    if (!tc || typeof tc !== 'object' || typeof tc['name'] !== 'string') {
      throw new NodeFailure('provider', `mock.script[${index}].toolCall needs a "name"`, { retryable: false });
    }
    return { toolCall: { name: tc['name'], args: tc['args'] ?? {} } };
  }
  if ('reply' in s) return { reply: s['reply'] };
  throw new NodeFailure('provider', `mock.script[${index}] must have "toolCall" or "reply"`, { retryable: false });
}

function cancelled(signal: AbortSignal): NodeFailure {
  const reason: unknown = signal.reason;
  if (reason instanceof NodeFailure) return reason;
  const why = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'aborted';
  return new NodeFailure('cancelled', `mock: cancelled (${why})`, { retryable: false, cause: reason });
}

/** The prompt's token count: every piece of the system text and the messages. */
function inputTokensOf(req: ModelRequest): number {
  let n = req.system ? countTokens(req.system) : 0;
  for (const m of req.messages) n += countTokens(m.content);
  return n;
}

/**
 * The mock provider for one attempt of one node. `mock` is the node's `config.mock` as written;
 * `attempt` is 1-based (attempts up to `failTimes` fail).
 */
export function mockProvider(mock: unknown, attempt: number, opts: MockProviderOptions = {}): ModelProvider {
  const cfg = asMockConfig(mock);
  const clock = opts.clock ?? realClock;
  const tps =
    typeof cfg.tokensPerSecond === 'number' && cfg.tokensPerSecond >= 0
      ? cfg.tokensPerSecond
      : DEFAULT_MOCK_TOKENS_PER_SECOND;
  const failTimes = typeof cfg.failTimes === 'number' ? cfg.failTimes : 0;

  return {
    async generate(req: ModelRequest): Promise<ModelReply> {
      const { signal } = req;
      if (signal.aborted) throw cancelled(signal);
      if (attempt <= failTimes) {
        throw new NodeFailure('provider', `mock failure (attempt ${attempt} of failTimes ${failTimes})`, {
          retryable: true,
        });
      }

      let text: string;
      let toolCall: ModelReply['toolCall'];
      const index = opts.stepIndex ?? req.messages.filter((m) => m.role === 'assistant').length;
      const step = mockScriptStep(cfg, index);
      if (step && 'toolCall' in step) {
        text = '';
        toolCall = { id: `mock_call_${index + 1}`, name: step.toolCall.name, args: step.toolCall.args };
      } else if (step) {
        text = replyText(step.reply);
      } else if (Array.isArray(cfg.script) && cfg.reply === undefined) {
        throw new NodeFailure('provider', `mock.script has no step ${index} (it has ${cfg.script.length})`, {
          retryable: false,
        });
      } else {
        text = replyText(cfg.reply);
      }

      const pieces = splitTokens(text);
      // Token i is due at start + (i + 1) / tps: a timer that fires late is caught up with a
      // burst (as a real provider sends several tokens per chunk), so the nominal rate holds.
      const delayMs = tps > 0 ? 1000 / tps : 0;
      const t0 = clock.now();
      for (const [i, piece] of pieces.entries()) {
        const wait = delayMs > 0 ? t0 + (i + 1) * delayMs - clock.now() : 0;
        if (wait > 0) {
          try {
            await clock.sleep(wait, signal);
          } catch (err) {
            if (signal.aborted) throw cancelled(signal);
            throw err;
          }
        }
        if (signal.aborted) throw cancelled(signal);
        req.onToken(piece);
      }
      if (signal.aborted) throw cancelled(signal);

      const usage: Usage = {
        inputTokens: cfg.usage?.inputTokens ?? inputTokensOf(req),
        outputTokens: cfg.usage?.outputTokens ?? (toolCall ? Math.max(1, pieces.length) : pieces.length),
      };
      const reply: ModelReply = { text, usage, costUsd: 0, model: req.model };
      if (toolCall) reply.toolCall = toolCall;
      return reply;
    },
  };
}
