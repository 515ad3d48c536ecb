/**
 * The syntax error of a `code` field (graph/code-syntax.ts, the check validation makes) as a
 * marker Monaco draws under the text: from where the parser stopped to the end of that token.
 */
import { codeSyntaxError, codeSyntaxText } from '../../core/graph/code-syntax';
import type { TextMarker } from './expressions';

/** The offset in `text` of a 1-based line and column, with the line breaks code-syntax.ts counts. */
export function offsetAt(text: string, line: number, column: number): number {
  const breaks = /\r\n?|\n|\u2028|\u2029/g;
  let start = 0;
  for (let l = 1; l < line; l++) {
    const m = breaks.exec(text);
    if (!m) break;
    start = m.index + m[0].length;
  }
  return Math.min(text.length, start + column - 1);
}

/** No marker when the code parses; else one error marker over the token where it stops. */
export function codeMarkers(code: string): TextMarker[] {
  const e = codeSyntaxError(code);
  if (!e) return [];
  // At the very end (an unexpected end of input): the last character, so that something is drawn.
  const start = Math.max(0, Math.min(offsetAt(code, e.line, e.column), code.length - 1));
  const token = /^(?:[\w$]+|\S)/.exec(code.slice(start));
  return [{ start, end: start + (token?.[0].length ?? 1), message: codeSyntaxText(e), severity: 'error' }];
}
