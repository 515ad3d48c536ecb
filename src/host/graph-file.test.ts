/** Strict UTF-8 for graph files: the first invalid byte, found as the WHATWG decoder would refuse it. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../core/errors.js';
import { decodeGraphFile, firstInvalidUtf8 } from './graph-file.js';

const fatal = new TextDecoder('utf-8', { fatal: true });
const decodes = (b: Uint8Array): boolean => {
  try {
    fatal.decode(b);
    return true;
  } catch {
    return false;
  }
};

describe('firstInvalidUtf8', () => {
  it('agrees with a strict decoder on random bytes: the prefix before it decodes, the bytes from it do not', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
        const at = firstInvalidUtf8(b);
        expect(at === b.length).toBe(decodes(b));
        expect(decodes(b.subarray(0, at))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('accepts every well-formed string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        const b = new TextEncoder().encode(s);
        expect(firstInvalidUtf8(b)).toBe(b.length);
      }),
    );
  });

  it('refuses overlongs, surrogates, code points past U+10FFFF and cut sequences', () => {
    for (const bad of [
      [0xc0, 0x80],
      [0xe0, 0x80, 0x80],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0xe2, 0x82],
      [0x80],
    ])
      expect(firstInvalidUtf8(Uint8Array.from([0x41, ...bad]))).toBe(1);
  });
});

describe('decodeGraphFile', () => {
  it('names the byte, its line and its column (in characters)', () => {
    const bytes = Uint8Array.from([...new TextEncoder().encode('{\n  "naïve": "'), 0xff, 0x22, 0x7d]);
    let err: unknown;
    try {
      decodeGraphFile(bytes, 'g.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('validation');
    expect((err as AppError).message).toBe('g.json: not valid UTF-8: byte 0xFF at line 2, column 13');
  });
});
