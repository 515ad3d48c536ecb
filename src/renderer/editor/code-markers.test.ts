import { describe, expect, it } from 'vitest';
import { codeMarkers, offsetAt } from './code-markers';

describe('code markers', () => {
  it('none for code that parses', () => {
    expect(codeMarkers('const x = 1;\nreturn x;')).toEqual([]);
    expect(codeMarkers('')).toEqual([]);
  });

  it('over the token where the parser stopped, with the message validation gives', () => {
    const code = 'const x = input.items.map(i => i * 2\nreturn x;)';
    const [m] = codeMarkers(code);
    expect(code.slice(m!.start, m!.end)).toBe('return');
    expect(m!.message).toMatch(/^syntax error at line 2, column 1: Unexpected token/);
    expect(m!.severity).toBe('error');
  });

  it('on a later line after CRLF breaks, and at the end for an unexpected end of input', () => {
    const crlf = 'let a = 1;\r\nlet b = ;';
    const [m] = codeMarkers(crlf);
    expect(crlf.slice(m!.start, m!.end)).toBe(';');
    expect(m!.start).toBe(crlf.length - 1);
    const open = 'if (x) {';
    const [end] = codeMarkers(open);
    expect(end!.start).toBe(open.length - 1);
    expect(end!.end).toBe(open.length);
  });

  it('offsets of lines and columns', () => {
    expect(offsetAt('ab\ncd\r\nef', 1, 1)).toBe(0);
    expect(offsetAt('ab\ncd\r\nef', 2, 2)).toBe(4);
    expect(offsetAt('ab\ncd\r\nef', 3, 1)).toBe(7);
    expect(offsetAt('ab', 9, 9)).toBe(2);
  });
});
