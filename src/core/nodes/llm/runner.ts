/**
 * The `llm` node: one model call, streamed, with an optional JSON Schema on the reply.
 * A reply that fails its schema fails the attempt with kind `schema` (retryable); the next
 * attempt shows the model the validator's errors so it can fix its reply (model-call.ts).
 * Pure: no node:* imports.
 */
import { NodeFailure } from '../../errors.js';
import type { NodeResult, NodeRunContext, NodeRunner } from '../../ports.js';
import {
  buildRequest,
  callModel,
  failureFromSignal,
  num,
  parseAndValidate,
  providerWithFallback,
  str,
  type LlmOutput,
} from './model-call.js';

export const llmRunner: NodeRunner = async (ctx: NodeRunContext): Promise<NodeResult> => {
  if (ctx.signal.aborted) throw failureFromSignal(ctx.signal, ctx.node.id);
  const providerName = str(ctx.config['provider']) ?? 'mock';
  const provider = providerWithFallback(ctx, providerName);
  const req = buildRequest(ctx);
  const reply = await callModel(ctx, provider, req);
  if (ctx.signal.aborted) throw failureFromSignal(ctx.signal, ctx.node.id);

  const usage = {
    inputTokens: num(reply.usage?.inputTokens) ?? 0,
    outputTokens: num(reply.usage?.outputTokens) ?? 0,
  };
  const costUsd = num(reply.costUsd) ?? 0;
  const model = str(reply.model) ?? req.model;
  const text = typeof reply.text === 'string' ? reply.text : '';

  let json: unknown;
  const schema = ctx.config['outputSchema'];
  if (schema !== undefined && schema !== null) {
    if (typeof schema !== 'object') {
      throw new NodeFailure('schema', `${ctx.node.id}: outputSchema must be a JSON Schema object`, {
        retryable: false,
      });
    }
    try {
      json = parseAndValidate(ctx.node.id, text, schema);
    } catch (err) {
      if (err instanceof NodeFailure) err.spent = { usage, costUsd };
      throw err;
    }
  }
  const output: LlmOutput =
    json === undefined ? { text, usage, costUsd, model } : { text, json, usage, costUsd, model };
  return { output, usage, costUsd, model };
};
