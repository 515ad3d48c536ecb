/** A model call of an `agent` node: made with its failures classified, and recorded as a step. */
import { NodeFailure } from '../../errors.js';
import type { AgentStep, Usage } from '../../events.js';
import type { ModelReply, NodeRunContext } from '../../ports.js';
import { failureFromSignal, num } from './tools.js';

/** The step a model's reply is recorded as. */
export function modelStep(reply: ModelReply, requested: string): AgentStep {
  const usage: Usage = {
    inputTokens: num(reply.usage?.inputTokens) ?? 0,
    outputTokens: num(reply.usage?.outputTokens) ?? 0,
  };
  const step: AgentStep = {
    kind: 'model',
    text: typeof reply.text === 'string' ? reply.text : '',
    usage,
    costUsd: num(reply.costUsd) ?? 0,
    model: reply.model || requested,
  };
  if (reply.toolCall)
    step.toolCall = {
      id: String(reply.toolCall.id),
      name: String(reply.toolCall.name),
      args: reply.toolCall.args ?? {},
    };
  return step;
}

/** The model call; a throw that is not a NodeFailure is a retryable `provider` failure (or the abort's). */
export async function callModel(ctx: NodeRunContext, call: () => Promise<ModelReply>): Promise<ModelReply> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof NodeFailure) throw err;
    if (ctx.signal.aborted) throw failureFromSignal(ctx.signal, ctx.node.id);
    const why = err instanceof Error ? err.message : String(err);
    throw new NodeFailure('provider', `${ctx.node.id}: model call failed: ${why}`, { retryable: true });
  }
}
