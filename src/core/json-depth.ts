/**
 * The nesting bound of every JSON value statepipe takes from outside (graph files, run inputs,
 * API calls, CLI flags). Deeper values are refused with one clear error naming where, before
 * any recursive code (validation, serialization, hashing, templates) could overflow the stack.
 * Real graphs and inputs nest a few dozen levels at most.
 */
export const MAX_JSON_DEPTH = 256;

type Segment = string | number;

/**
 * The path to the first value nested deeper than `max` levels (objects and arrays), or
 * undefined when there is none. Iterative, so any depth (or a cycle) is safe to check.
 */
export function tooDeep(value: unknown, max = MAX_JSON_DEPTH): Segment[] | undefined {
  interface Frame {
    v: unknown;
    depth: number;
    key: Segment | undefined;
    parent: Frame | undefined;
  }
  const stack: Frame[] = [{ v: value, depth: 0, key: undefined, parent: undefined }];
  while (stack.length > 0) {
    const f = stack.pop()!;
    if (f.v === null || typeof f.v !== 'object') continue;
    if (f.depth >= max) {
      const path: Segment[] = [];
      for (let at: Frame | undefined = f; at?.key !== undefined; at = at.parent) path.push(at.key);
      return path.reverse();
    }
    const entries: [Segment, unknown][] = Array.isArray(f.v) ? f.v.map((x, i) => [i, x]) : Object.entries(f.v);
    for (const [key, v] of entries) {
      if (v !== null && typeof v === 'object') stack.push({ v, depth: f.depth + 1, key, parent: f });
    }
  }
  return undefined;
}

/** `nodes[0].config.a.a…`: where a too-deep value starts, short enough for one line. */
export function depthPath(path: readonly Segment[], shown = 6): string {
  const segs = path
    .slice(0, shown)
    .map((k) => (typeof k === 'number' ? `[${k}]` : /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`));
  return `${segs.join('').replace(/^\./, '')}${path.length > shown ? '…' : ''}`;
}

/** The one-line refusal: `<where>: nested more than 256 levels deep (at <path>)`. */
export function depthMessage(where: string, path: readonly Segment[]): string {
  return `${where}: nested more than ${MAX_JSON_DEPTH} levels deep (at ${path.length ? depthPath(path) : 'the top'})`;
}
