/**
 * A model call as the `llm` node and the `agent` node make it: the request from the rendered
 * config, the provider (with its fallback), the streamed call, and the reply checked against a
 * JSON Schema (errors shown to the model on the next attempt). Pure: no node:* imports.
 * Imported by both runners, each loaded on first use (the llm kind's `lazyRunner`).
 */
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { NodeFailure, type NodeError } from '../../errors.js';
import { schemaValidator } from '../../graph/json-schema.js';
import type { ModelProvider, ModelReply, ModelRequest, NodeRunContext } from '../../ports.js';
import { mockProvider } from './mock-provider.js';

/** The output of an `llm` node (docs/graph-format.md "`llm`"). */
export interface LlmOutput {
  text: string;
  json?: unknown;
  usage: { inputTokens: number; outputTokens: number };
  costUsd: number;
  model: string;
}

/** One validator problem, as carried in `NodeError.details` of a `schema` failure. */
export interface SchemaProblem {
  instancePath: string;
  message: string;
  keyword?: string;
  params?: unknown;
}

/**
 * The compiled validator of a schema object: graph validation's, which compiles each schema once
 * (per object and per content) and checks it against the meta-schema without compiling that.
 */
export function validatorFor(schema: object): ValidateFunction {
  return schemaValidator(schema as Record<string, unknown>);
}

/** `/risk must be equal to one of the allowed values`, joined with `; `. */
export function formatSchemaProblems(problems: readonly SchemaProblem[]): string {
  return problems.map((p) => `${p.instancePath || '/'} ${p.message}`).join('; ');
}

function toProblems(errors: readonly ErrorObject[] | null | undefined): SchemaProblem[] {
  return (errors ?? []).map((e) => ({
    instancePath: e.instancePath,
    message: e.message ?? `fails "${e.keyword}"`,
    keyword: e.keyword,
    params: e.params,
  }));
}

/** The reply without a surrounding Markdown code fence (```json … ```). */
export function stripFences(text: string): string {
  const m = /^\s*```[A-Za-z0-9_-]*[ \t]*\r?\n?([\s\S]*?)\r?\n?```\s*$/.exec(text);
  return (m ? m[1]! : text).trim();
}

/**
 * Parses and validates a reply against `schema`. Throws a retryable `schema` NodeFailure whose
 * `details` are the validator's problems.
 */
export function parseAndValidate(nodeId: string, text: string, schema: object): unknown {
  let value: unknown;
  try {
    value = JSON.parse(stripFences(text));
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    const problems: SchemaProblem[] = [{ instancePath: '', message: `is not valid JSON (${why})`, keyword: 'json' }];
    throw new NodeFailure('schema', `${nodeId}: reply is not valid JSON: ${why}`, {
      retryable: true,
      details: problems,
    });
  }
  let validate: ValidateFunction;
  try {
    validate = validatorFor(schema);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new NodeFailure('schema', `${nodeId}: outputSchema is not a valid JSON Schema: ${why}`, { retryable: false });
  }
  if (!validate(value)) {
    const problems = toProblems(validate.errors);
    throw new NodeFailure('schema', `${nodeId}: reply does not match outputSchema: ${formatSchemaProblems(problems)}`, {
      retryable: true,
      details: problems,
    });
  }
  return value;
}

/** The feedback appended to the prompt after an attempt whose reply failed its schema. */
export function schemaFeedback(previous: NodeError): string {
  const details = Array.isArray(previous.details) ? (previous.details as SchemaProblem[]) : [];
  const lines = details
    .filter((d) => d && typeof d === 'object')
    .map((d) => `- ${d.instancePath || '/'} ${String(d.message)}`);
  const body = lines.length > 0 ? lines.join('\n') : `- ${previous.message}`;
  return (
    '\n\nYour previous reply was rejected because it does not match the required JSON schema:\n' +
    body +
    '\nReply again with only the corrected JSON.'
  );
}

export const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
export const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The API-key variable a provider is configured by: `openai` → `OPENAI_API_KEY`. */
export const providerKeyVar = (name: string): string => `${name.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_API_KEY`;

/** The provider named by a node's config: the host's, else the built-in mock. */
export function resolveProvider(ctx: NodeRunContext, name: string): ModelProvider {
  const fromHost = ctx.services.provider?.(name);
  if (fromHost) return fromHost;
  if (name === 'mock') return mockProvider(ctx.config['mock'], ctx.attempt, { clock: ctx.clock });
  throw new NodeFailure('provider', `provider "${name}" is not configured: set ${providerKeyVar(name)}`, {
    retryable: false,
  });
}

interface FallbackModel {
  provider: string;
  model: string;
  baseURL?: string;
}

/** Whether a failed call may be handed to the next model of `config.fallback`. */
function canFallBack(err: unknown, signal: AbortSignal): boolean {
  if (signal.aborted) return false;
  if (!(err instanceof NodeFailure)) return !(err instanceof Error && err.name === 'AbortError');
  return err.retryable && (err.kind === 'provider' || err.kind === 'network' || err.kind === 'rate-limit');
}

/**
 * The node's provider, trying the models of `config.fallback` in order when a call fails with a
 * retryable provider error. The reply names the model that answered (and its cost).
 */
export function providerWithFallback(ctx: NodeRunContext, name: string): ModelProvider {
  const primary = resolveProvider(ctx, name);
  const raw = ctx.config['fallback'];
  const chain = Array.isArray(raw)
    ? (raw as FallbackModel[]).filter((f) => f && typeof f.provider === 'string' && typeof f.model === 'string')
    : [];
  if (chain.length === 0) return primary;
  return {
    async generate(req: ModelRequest): Promise<ModelReply> {
      let label = `${name} ${req.model}`;
      let failure: unknown;
      try {
        return await primary.generate(req);
      } catch (err) {
        if (!canFallBack(err, req.signal)) throw err;
        failure = err;
      }
      for (const fb of chain) {
        const why = failure instanceof Error ? failure.message : String(failure);
        ctx.log(
          'warn',
          `${ctx.node.id}: ${label} failed (${why.slice(0, 300)}); falling back to ${fb.provider} ${fb.model}`,
        );
        label = `${fb.provider} ${fb.model}`;
        const { baseURL: _b, ...rest } = req;
        const next: ModelRequest = { ...rest, model: fb.model, ...(fb.baseURL ? { baseURL: fb.baseURL } : {}) };
        try {
          return await resolveProvider(ctx, fb.provider).generate(next);
        } catch (err) {
          if (
            !canFallBack(err, req.signal) &&
            !(
              err instanceof NodeFailure &&
              err.kind === 'provider' &&
              !err.retryable &&
              /not configured/.test(err.message)
            )
          )
            throw err;
          failure = err;
        }
      }
      throw failure;
    },
  };
}

export function failureFromSignal(signal: AbortSignal, nodeId: string): NodeFailure {
  const reason: unknown = signal.reason;
  if (reason instanceof NodeFailure) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new NodeFailure('timeout', `${nodeId}: timed out`, { cause: reason });
  }
  return new NodeFailure('cancelled', `${nodeId}: cancelled`, { retryable: false, cause: reason });
}

/** Calls the model, turning anything unexpected into a NodeFailure. */
export async function callModel(ctx: NodeRunContext, provider: ModelProvider, req: ModelRequest): Promise<ModelReply> {
  try {
    return await provider.generate(req);
  } catch (err) {
    if (err instanceof NodeFailure) throw err;
    if (ctx.signal.aborted) throw failureFromSignal(ctx.signal, ctx.node.id);
    if (err instanceof Error && err.name === 'AbortError') {
      throw new NodeFailure('cancelled', `${ctx.node.id}: cancelled`, { retryable: false, cause: err });
    }
    const why = err instanceof Error ? err.message : String(err);
    throw new NodeFailure('provider', `${ctx.node.id}: model call failed: ${why}`, { retryable: true, cause: err });
  }
}

/** Builds the model request of an `llm` (or an agent's first) call from the rendered config. */
export function buildRequest(ctx: NodeRunContext): ModelRequest {
  const cfg = ctx.config;
  let prompt = typeof cfg['prompt'] === 'string' ? cfg['prompt'] : JSON.stringify(cfg['prompt'] ?? '');
  if (ctx.previousError?.kind === 'schema') prompt += schemaFeedback(ctx.previousError);
  const req: ModelRequest = {
    model: str(cfg['model']) ?? 'mock-1',
    messages: [{ role: 'user', content: prompt }],
    signal: ctx.signal,
    onToken: (text: string) => {
      if (text.length > 0) ctx.emitTokens(text);
    },
  };
  const system = str(cfg['system']);
  if (system !== undefined) req.system = system;
  const temperature = num(cfg['temperature']);
  if (temperature !== undefined) req.temperature = temperature;
  const maxTokens = num(cfg['maxTokens']);
  if (maxTokens !== undefined) req.maxTokens = maxTokens;
  const baseURL = str(cfg['baseURL']);
  if (baseURL !== undefined) req.baseURL = baseURL;
  return req;
}
