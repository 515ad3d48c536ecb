/** A graph file's text read as JSON, or one issue saying where and why it is not JSON. */
import { fail } from './issues.js';

/** Offset of the first JSON syntax error in `s` (a small scanner, only to point at an error V8 does not place). */
function jsonErrorOffset(s: string): number {
  let i = 0;
  const ws = (): void => {
    while (i < s.length && ' \t\n\r'.includes(s[i]!)) i++;
  };
  const str = (): boolean => {
    for (i++; i < s.length; i++) {
      const c = s[i]!;
      if (c === '"') return ++i > 0;
      if (c === '\\') i++;
      else if (c < ' ') return false;
    }
    return false;
  };
  const value = (): boolean => {
    ws();
    const open = s[i];
    if (open === '"') return str();
    if (open !== '{' && open !== '[') {
      const m = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(s.slice(i, i + 400));
      if (m) i += m[0].length;
      return m !== null;
    }
    const close = open === '{' ? '}' : ']';
    i++;
    ws();
    if (s[i] === close) return ++i > 0;
    for (;;) {
      if (open === '{') {
        ws();
        if (s[i] !== '"' || !str()) return false;
        ws();
        if (s[i] !== ':') return false;
        i++;
      }
      if (!value()) return false;
      ws();
      if (s[i] === close) return ++i > 0;
      if (s[i] !== ',') return false;
      i++;
    }
  };
  try {
    if (value()) ws();
  } catch {
    return -1; // nested too deep to scan
  }
  return i;
}

/** The JSON value of a file's text (a byte-order mark skipped); `source` (a file name) prefixes the message. */
export function parseJsonText(text: string, source?: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const m = /position (\d+)/.exec(msg);
    const pos = m ? Number(m[1]) : jsonErrorOffset(body);
    let where = '';
    if (pos >= 0) {
      const before = body.slice(0, pos).split('\n');
      where = ` at line ${before.length}, column ${before[before.length - 1]!.length + 1}`;
    }
    const what = msg
      .replace(/ in JSON at position \d+.*$/, '')
      .replace(/, ".*" is not valid JSON$/s, '')
      .replace(/[\n\r\t]/g, (c) => JSON.stringify(c).slice(1, -1));
    const reason = body.trim() === '' ? 'the file is empty' : what + where;
    fail([{ path: '', message: `not valid JSON: ${reason}` }], source);
  }
}
