import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { CODE_HEAD, CODE_TAIL, codeSyntaxError, codeSyntaxText } from './code-syntax.js';

/** What V8 says of the script the host compiles: undefined, or the line of its SyntaxError in the code. */
function v8(code: string): number | undefined {
  try {
    new vm.Script(CODE_HEAD + code + CODE_TAIL, { filename: 'code.js', lineOffset: -1 });
    return undefined;
  } catch (err) {
    return Number(/^code\.js:(\d+)/.exec((err as Error).stack ?? '')?.[1]);
  }
}

describe('the syntax of a code node', () => {
  it('finds the bracket monaco closed after the next line, at the line and column it breaks', () => {
    // Typed: `const x = input.items.map(i => i * 2`, Enter, `return x;` (the `)` was auto-closed).
    const code = 'const x = input.items.map(i => i * 2\nreturn x;)';
    expect(codeSyntaxError(code)).toEqual({ line: 2, column: 1, reason: 'Unexpected token' });
    expect(codeSyntaxText(codeSyntaxError(code)!)).toBe('syntax error at line 2, column 1: Unexpected token');
    expect(v8(code)).toBeDefined(); // V8 too ("missing ) after argument list", naming line 1)
  });

  it('an unclosed block is at the end of the code', () => {
    const code = 'if (input.ok) {\n  return 1;';
    expect(codeSyntaxError(code)).toMatchObject({ line: 2, column: 12 });
    expect(v8(code)).toBeGreaterThan(0);
  });

  const good = [
    'return input;',
    'const x = 1;',
    'return (async () => { await null; return { ok: true } })()',
    'return nodes.extract?.json?.entities ?? [];',
    "'use strict';\nreturn [1, 2].map((n) => n ** 2);",
    'class A { #x = 1; get x() { return this.#x; } }\nreturn new A().x;',
    'return /a(?<name>b)/u.exec(input.s)?.groups;',
    'let await = 1; return await;', // sloppy script: `await` is a name outside async functions
    'label: for (const k of Object.keys(input)) { if (k) continue label; }\nreturn 1n === 1n ? 1 : 0;',
    '// the last line is a comment',
  ];
  for (const code of good)
    it(`accepts what V8 compiles: ${JSON.stringify(code).slice(0, 50)}`, () => {
      expect(v8(code)).toBeUndefined();
      expect(codeSyntaxError(code)).toBeUndefined();
    });

  const bad = [
    'return )',
    'const = 1;',
    'await input.x;',
    "'use strict';\nwith (input) { return 1; }",
    'return 1 +;',
    'let a = 1;\nlet a = 2;',
    'return /(/;',
  ];
  for (const code of bad)
    it(`refuses what V8 refuses, on the same line: ${JSON.stringify(code)}`, () => {
      const e = codeSyntaxError(code);
      expect(e).toBeDefined();
      expect(e!.line).toBe(v8(code));
    });

  it('an unterminated string or template is where it starts (V8 names where the script ends)', () => {
    expect(codeSyntaxError('const a = 1;\nreturn `unterminated')).toMatchObject({
      line: 2,
      reason: 'Unterminated template',
    });
    expect(v8('const a = 1;\nreturn `unterminated')).toBe(3);
  });

  it('parses without running anything', () => {
    const g = globalThis as Record<string, unknown>;
    expect(codeSyntaxError('globalThis.__ran = true; return 1;')).toBeUndefined();
    expect(g['__ran']).toBeUndefined();
  });
});
