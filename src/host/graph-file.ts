/**
 * Graph files on disk: JSON (`.json`, the canonical form) or YAML (`.yaml`/`.yml`), the same
 * schema and validation either way. A YAML file's messages carry the line of the offending
 * field: `graph.yaml:12: nodes[greet].config.prompt: Required`.
 */
import { createRequire } from 'node:module';
import type { Document, LineCounter } from 'yaml';
import { AppError, type ValidationIssue } from '../core/errors.js';
import type { Graph } from '../core/graph/schema.js';
import { parseGraphText, serializeGraph, validateGraph, type ValidateOptions } from '../core/graph/validate.js';

/** The `yaml` package, loaded on first use only (JSON graphs never pay for it). */
const require = createRequire(import.meta.url);
let yamlModule: typeof import('yaml') | undefined;
const yaml = (): typeof import('yaml') => (yamlModule ??= require('yaml') as typeof import('yaml'));

export const isYamlPath = (file: string): boolean => /\.ya?ml$/i.test(file);

export type GraphFormat = 'json' | 'yaml';

/** A validated graph from a file's bytes (strict UTF-8) or text; YAML when the file name says so. */
export function parseGraphFile(content: string | Uint8Array, file: string, opts: ValidateOptions = {}): Graph {
  const text = typeof content === 'string' ? content : decodeGraphFile(content, file);
  return isYamlPath(file) ? parseGraphYaml(text, file, opts) : parseGraphText(text, file, opts);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A graph file's bytes as text, UTF-8 strictly (docs/graph-format.md "Validation"): a byte that
 * is not, inside a string or not, is refused with its line and column. A lenient decoder would
 * turn it into U+FFFD silently, and the run would use a value nobody wrote.
 */
export function decodeGraphFile(bytes: Uint8Array, file: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    const lineStart = bytes.lastIndexOf(0x0a, at - 1) + 1;
    let line = 1;
    for (let i = 0; i < lineStart; i++) if (bytes[i] === 0x0a) line++;
    // The column in characters, as JSON's own errors count it.
    const column = new TextDecoder().decode(bytes.subarray(lineStart, at)).length + 1;
    const hex = `0x${bytes[at]!.toString(16).toUpperCase().padStart(2, '0')}`;
    const message = `not valid UTF-8: byte ${hex} at line ${line}, column ${column}`;
    throw new AppError('validation', `${file}: ${message}`, [{ path: '', message }]);
  }
}

/** The offset of the first byte that does not start a well-formed UTF-8 sequence (Unicode table 3-7). */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    // The allowed range of the second byte and the number of continuation bytes, by lead byte.
    let lo = 0x80;
    let hi = 0xbf;
    let n: number;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f; // no surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f; // nothing above U+10FFFF
    } else return i;
    const second = b[i + 1];
    if (second === undefined || second < lo || second > hi) return i;
    for (let k = 2; k <= n; k++) {
      const next = b[i + k];
      if (next === undefined || next < 0x80 || next > 0xbf) return i;
    }
    i += n + 1;
  }
  return b.length;
}

/** The graph as a file of the given format (JSON: the canonical bytes). */
export function formatGraph(graph: Graph, format: GraphFormat): string {
  const json = serializeGraph(graph);
  return format === 'yaml' ? yaml().stringify(JSON.parse(json), { lineWidth: 0 }) : json;
}

type Seg = string | number;

/** `nodes[greet].config.prompt` → ['nodes', 'greet', 'config', 'prompt'] (ids still ids). */
function pathSegments(path: string): Seg[] {
  const out: Seg[] = [];
  const re = /\.?([A-Za-z_$][\w$-]*)|\[("(?:[^"\\]|\\.)*"|[^\]]*)\]/g;
  for (let m = re.exec(path); m; m = re.exec(path)) {
    if (m[1] !== undefined) out.push(m[1]);
    else {
      const inner = m[2]!;
      out.push(inner.startsWith('"') ? (JSON.parse(inner) as string) : /^\d+$/.test(inner) ? Number(inner) : inner);
    }
  }
  return out;
}

/** The document path of an issue: node and edge ids become their indexes. */
function docPath(raw: unknown, path: string): Seg[] {
  const segs = pathSegments(path);
  const head = segs[0];
  if ((head === 'nodes' || head === 'edges') && typeof segs[1] === 'string' && raw && typeof raw === 'object') {
    const list = (raw as Record<string, unknown>)[head];
    const i = Array.isArray(list)
      ? list.findIndex((x) => x && typeof x === 'object' && (x as { id?: unknown }).id === segs[1])
      : -1;
    if (i >= 0) segs[1] = i;
  }
  return segs;
}

/** The 1-based line of the deepest node of `doc` on `segs` (the key of a field, where there is one). */
function lineOf(doc: Document, segs: Seg[], lc: LineCounter): number | undefined {
  const { isMap, isScalar, isSeq } = yaml();
  let node: unknown = doc.contents;
  let offset: number | undefined = (node as { range?: [number] } | null)?.range?.[0];
  for (const seg of segs) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === seg);
      if (!pair) break;
      const keyRange = isScalar(pair.key) ? pair.key.range : undefined;
      offset = keyRange?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
      node = node.items[seg];
      offset = (node as { range?: [number] }).range?.[0] ?? offset;
    } else break;
  }
  return offset === undefined ? undefined : lc.linePos(offset).line;
}

function parseGraphYaml(text: string, file: string, opts: ValidateOptions): Graph {
  const { LineCounter, parseDocument } = yaml();
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = lc.linePos(e.pos[0]).line;
    const message = `not valid YAML: ${e.message.split('\n')[0]}`;
    throw new AppError('validation', `${file}:${line}: ${message}`, [
      { path: '', message: `line ${line}: ${message}` },
    ]);
  }
  if (text.trim() === '')
    throw new AppError('validation', `${file}: not valid YAML: the file is empty`, [
      { path: '', message: 'the file is empty' },
    ]);
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new AppError('validation', `${file}: not valid YAML: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    return validateGraph(raw, undefined, opts);
  } catch (err) {
    if (!(err instanceof AppError) || err.code !== 'validation' || !err.issues?.length) throw err;
    const issues: (ValidationIssue & { line?: number })[] = err.issues.map((i) => {
      const line = lineOf(doc, docPath(raw, i.path), lc);
      return line === undefined ? i : { ...i, line, message: `line ${line}: ${i.message}` };
    });
    const first = issues[0]!;
    const original = err.issues[0]!;
    const more = issues.length > 1 ? ` (+${issues.length - 1} more)` : '';
    const where = [`${file}${first.line !== undefined ? `:${first.line}` : ''}`, original.path]
      .filter(Boolean)
      .join(': ');
    throw new AppError('validation', `${where}: ${original.message}${more}`, issues);
  }
}
