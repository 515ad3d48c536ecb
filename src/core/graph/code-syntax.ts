/**
 * The syntax of a `code` node's code, checked without running it. The host compiles the code as
 * the body of a function, `CODE_HEAD + code + CODE_TAIL` (src/host/runners/code-worker.ts builds
 * its script from these same strings), as a classic script (sloppy unless the code says
 * "use strict"); this parses exactly that text with acorn, which executes nothing.
 */
import { parse } from 'acorn';

/** What comes before the code in the script the host compiles (one line: the code starts on line 2). */
export const CODE_HEAD = '(function (input, nodes) {\n';
/** What comes after it. */
export const CODE_TAIL = '\n})';

export interface CodeSyntaxError {
  /** 1-based, in the code as written. */
  line: number;
  /** 1-based. */
  column: number;
  /** The parser's message, without its position. */
  reason: string;
}

interface AcornError {
  loc?: { line: number; column: number };
  message?: unknown;
}

/** The first syntax error of `code` as a function body, or undefined when it parses. */
export function codeSyntaxError(code: string): CodeSyntaxError | undefined {
  try {
    parse(CODE_HEAD + code + CODE_TAIL, { ecmaVersion: 'latest', sourceType: 'script' });
    return undefined;
  } catch (err) {
    const { loc, message } = (err ?? {}) as AcornError;
    const reason = String(message ?? err).replace(/ \(\d+:\d+\)$/, '');
    const lines = code.split(/\r\n?|\n|\u2028|\u2029/);
    if (!loc) return { line: 1, column: 1, reason };
    // The wrapper's first line is line 1; an error on its last line (`})`) is at the end of the code.
    if (loc.line - 1 > lines.length) return { line: lines.length, column: lines[lines.length - 1]!.length + 1, reason };
    return { line: Math.max(1, loc.line - 1), column: loc.column + 1, reason };
  }
}

/** The problem a validation reports for a syntax error (its path names the node and the field). */
export const codeSyntaxText = (e: CodeSyntaxError): string =>
  `syntax error at line ${e.line}, column ${e.column}: ${e.reason}`;
