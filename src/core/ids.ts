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

/** 53 bits of a string's hash (cyrb53): deterministic ids, not security. */
function hash53(s: string, seed: number): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * The id of the child run a composition node starts at `key` in `attempt`: the same in every
 * process (so a parent that crashed finds the child it had committed), time-sorted with its parent
 * and then by key, so a map's children sort in item order: their rows and events go to the end of
 * every index keyed by run id instead of all over it (each child's commit then rewrites a page or
 * two of such an index, not ten). The rest is a hash of the parent, node, attempt and key.
 */
export function childRunId(parent: RunId, nodeId: string, attempt: number, key: number): RunId {
  const text = `${parent}:${nodeId}:${attempt}:${key}`;
  let order = '';
  let k = Math.max(0, Math.floor(key));
  for (let i = 0; i < 6; i++) {
    order = CROCKFORD[k % 32] + order;
    k = Math.floor(k / 32);
  }
  let h = hash53(text, 1);
  let rand = '';
  for (let i = 0; i < 10; i++) {
    rand += CROCKFORD[h % 32];
    h = Math.floor(h / 32);
  }
  return asRunId(`run_${parent.slice(4, 14)}${order}${rand}`);
}
