/**
 * The tools of an `agent` node: their config read, what the model is shown of a result, which
 * failures it is told about, and the plain http tool of a host that passes none.
 * Pure: no node:* imports.
 */
import { NodeFailure } from '../../errors.js';
import type { NodeRunner } from '../../ports.js';

export interface AgentTool {
  name: string;
  description?: string;
  inputSchema?: unknown;
  run: { type: 'http' | 'code'; config: Record<string, unknown> };
}

export const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
export const obj = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

export function parseTools(nodeId: string, raw: unknown): AgentTool[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw))
    throw new NodeFailure('internal', `${nodeId}: config.tools must be a list`, { retryable: false });
  return raw.map((t, i) => {
    const o = obj(t);
    const run = obj(o?.['run']);
    if (
      !o ||
      typeof o['name'] !== 'string' ||
      !run ||
      (run['type'] !== 'http' && run['type'] !== 'code') ||
      !obj(run['config'])
    ) {
      throw new NodeFailure(
        'internal',
        `${nodeId}: config.tools[${i}] needs "name" and "run": { "type": "http" | "code", "config" }`,
        { retryable: false },
      );
    }
    const tool: AgentTool = { name: o['name'], run: { type: run['type'], config: obj(run['config'])! } };
    if (typeof o['description'] === 'string') tool.description = o['description'];
    if (o['inputSchema'] !== undefined) tool.inputSchema = o['inputSchema'];
    return tool;
  });
}

/** What the model is shown of a tool result. */
export function toolContent(result: unknown): string {
  if (typeof result === 'string') return result;
  return JSON.stringify(result ?? null) ?? 'null';
}

export function failureFromSignal(signal: AbortSignal, nodeId: string): NodeFailure {
  const reason: unknown = signal.reason;
  if (reason instanceof NodeFailure) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError')
    return new NodeFailure('timeout', `${nodeId}: timed out`);
  return new NodeFailure('cancelled', `${nodeId}: cancelled`, { retryable: false });
}

/** Failures of a tool that the model is told about instead of failing the attempt. */
export const TOLD_TO_MODEL = new Set(['http-status', 'code', 'template', 'schema']);

/** A minimal http tool for hosts that pass none: one fetch, status ≥ 400 is a failure. */
export const plainHttpTool: NodeRunner = async (ctx) => {
  const cfg = ctx.config;
  const method = String(cfg['method'] ?? 'GET').toUpperCase();
  const url = cfg['url'];
  if (typeof url !== 'string' || !url)
    throw new NodeFailure('template', 'http tool: url must render to a non-empty string', { retryable: false });
  const headers = new Headers();
  for (const [k, v] of Object.entries(obj(cfg['headers']) ?? {}))
    if (v !== undefined && v !== null) headers.set(k, String(v));
  headers.set('Idempotency-Key', ctx.idempotencyKey);
  const init: RequestInit = { method, headers, signal: ctx.signal };
  const body = cfg['body'];
  if (body !== undefined && body !== null && method !== 'GET' && method !== 'HEAD') {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    if (typeof body !== 'string' && !headers.has('content-type')) headers.set('content-type', 'application/json');
  }
  let res: Response;
  try {
    res = await (ctx.services.fetch ?? fetch)(url, init);
  } catch (err) {
    if (ctx.signal.aborted) throw failureFromSignal(ctx.signal, ctx.node.id);
    throw new NodeFailure(
      'network',
      `http tool: ${method} ${url} failed: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const text = await res.text();
  let parsed: unknown = text;
  if (/[/+]json\b/i.test(res.headers.get('content-type') ?? '')) {
    try {
      parsed = text.trim() ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
  }
  if (res.status >= 400) {
    const kind = res.status === 429 ? 'rate-limit' : 'http-status';
    throw new NodeFailure(kind, `http tool: ${method} ${url} returned ${res.status}`, {
      retryable: res.status === 429 || res.status >= 500,
      details: { status: res.status, body: parsed },
    });
  }
  return { output: { status: res.status, headers: {}, body: parsed } };
};
