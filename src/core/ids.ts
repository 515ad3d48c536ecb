/** Branded identifiers: a RunId can never be passed where a NodeId is expected. */
declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

export type RunId = Brand<string, 'RunId'>;
export type NodeId = Brand<string, 'NodeId'>;
export type GraphId = Brand<string, 'GraphId'>;
export type EdgeId = Brand<string, 'EdgeId'>;

export const asRunId = (s: string): RunId => s as RunId;
export const asNodeId = (s: string): NodeId => s as NodeId;
export const asGraphId = (s: string): GraphId => s as GraphId;

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID-like, time-sortable run id: `run_` + 10 time chars + 16 random chars. */
export function newRunId(nowMs: number, random: () => number = Math.random): RunId {
  let t = Math.floor(nowMs);
  let time = '';
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  let rand = '';
  for (let i = 0; i < 16; i++) rand += CROCKFORD[Math.floor(random() * 32)];
  return asRunId(`run_${time}${rand}`);
}

/** The idempotency key of one attempt, as docs/runtime.md "Durability" defines it. */
export const idempotencyKey = (runId: RunId, nodeId: NodeId, attempt: number): string =>
  `${runId}:${nodeId}:${attempt}`;
