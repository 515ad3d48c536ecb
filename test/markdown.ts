/**
 * Reading the project's markdown as test/docs.test.ts needs it: headings (not those inside code
 * blocks), the section under a heading, GitHub's heading anchors, table rows keyed by their first
 * cell, and mentions of a flag or of a field inside a code span.
 */
interface Heading {
  level: number;
  text: string;
  line: number;
}

/** The lines of a markdown text with fenced code blocks blanked (their `#` lines are no headings). */
export function proseLines(md: string): string[] {
  let fenced = false;
  return md.split('\n').map((l) => {
    if (/^\s*(```|~~~)/.test(l)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : l;
  });
}

export function headings(md: string): Heading[] {
  const out: Heading[] = [];
  proseLines(md).forEach((l, line) => {
    const m = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(l);
    if (m) out.push({ level: m[1]!.length, text: m[2]!, line });
  });
  return out;
}

/** Heading text as it reads: without backticks, emphasis and link targets. */
export const plain = (s: string): string =>
  s
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .trim();

/** The body of the section under the heading reading `title` (up to the next heading of its level or above). */
export function section(md: string, title: string): string | undefined {
  const hs = headings(md);
  const i = hs.findIndex((h) => plain(h.text) === title);
  if (i < 0) return undefined;
  const h = hs[i]!;
  const end = hs.slice(i + 1).find((x) => x.level <= h.level);
  return md
    .split('\n')
    .slice(h.line + 1, end?.line)
    .join('\n');
}

export function mustSection(md: string, file: string, title: string): string {
  const s = section(md, title);
  if (s === undefined) throw new Error(`${file} has no section "${title}"`);
  return s;
}

/** The headings of the sections directly below `title`. */
export function subsections(md: string, title: string): string[] {
  const hs = headings(md);
  const i = hs.findIndex((h) => plain(h.text) === title);
  if (i < 0) return [];
  const level = hs[i]!.level;
  const out: string[] = [];
  for (const h of hs.slice(i + 1)) {
    if (h.level <= level) break;
    if (h.level === level + 1) out.push(plain(h.text));
  }
  return out;
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
const slug = (text: string): string =>
  plain(text)
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

export function anchors(md: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const h of headings(md)) {
    const base = slug(h.text);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `flag` as a whole word (`--json` is not in `--jsonl`). */
export const hasFlag = (text: string, flag: string): boolean =>
  new RegExp(`(?<![\\w-])${escape(flag)}(?![\\w-])`).test(text);

/** `name` inside a code span: `name`, `name?`, `{ a, name }`, `poll.name`. */
export const hasField = (text: string, name: string): boolean =>
  new RegExp(`\`[^\`\\n]*(?<![\\w$])${escape(name)}(?![\\w$])[^\`\\n]*\``).test(text);

/** The table row whose first cell is `` `key` ``, if any. */
export const row = (text: string, key: string): string | undefined =>
  text.split('\n').find((l) => new RegExp(`^\\|\\s*\`${escape(key)}\`\\s*\\|`).test(l));

/** The first cells (`` `x` ``) of every table row of a text. */
export const rowKeys = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => /^\|\s*`([^`]+)`\s*\|/.exec(l)?.[1])
    .filter((k): k is string => k !== undefined);
