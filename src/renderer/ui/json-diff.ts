/**
 * A small structural JSON diff (pure): the paths where two values differ, for the run diff and
 * the "graph changed since this run" notice. Arrays compare by index; objects by key.
 */

export type DiffKind = 'added' | 'removed' | 'changed';

export interface DiffEntry {
  path: string;
  kind: DiffKind;
  before?: unknown;
  after?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** JSON text with object keys sorted: equal values give equal text. */
export function stableJson(v: unknown): string {
  return (
    JSON.stringify(v, (_k, x: unknown) =>
      isObject(x)
        ? Object.fromEntries(
            Object.keys(x)
              .sort()
              .map((k) => [k, x[k]]),
          )
        : x,
    ) ?? 'undefined'
  );
}

export const jsonEqual = (a: unknown, b: unknown): boolean => stableJson(a) === stableJson(b);

const keyPath = (base: string, key: string | number): string =>
  typeof key === 'number'
    ? `${base}[${key}]`
    : /^[A-Za-z_$][\w$]*$/.test(key)
      ? base
        ? `${base}.${key}`
        : key
      : `${base}[${JSON.stringify(key)}]`;

/** Every difference between `a` and `b`, at most `limit` entries, in document order. */
export function jsonDiff(a: unknown, b: unknown, limit = 500): DiffEntry[] {
  const out: DiffEntry[] = [];
  const walk = (x: unknown, y: unknown, path: string): void => {
    if (out.length >= limit) return;
    if (x === undefined && y !== undefined) return void out.push({ path: path || '(root)', kind: 'added', after: y });
    if (y === undefined && x !== undefined)
      return void out.push({ path: path || '(root)', kind: 'removed', before: x });
    if (Array.isArray(x) && Array.isArray(y)) {
      for (let i = 0; i < Math.max(x.length, y.length); i++) walk(x[i], y[i], keyPath(path, i));
      return;
    }
    if (isObject(x) && isObject(y)) {
      const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])];
      for (const k of keys) walk(x[k], y[k], keyPath(path, k));
      return;
    }
    if (!jsonEqual(x, y)) out.push({ path: path || '(root)', kind: 'changed', before: x, after: y });
  };
  walk(a, b, '');
  return out;
}

/** A short one-line rendering of a JSON value for diff rows. */
export function preview(v: unknown, max = 120): string {
  const s = v === undefined ? '—' : typeof v === 'string' ? JSON.stringify(v) : stableJson(v);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
