import { describe, expect, it } from 'vitest';
import { durationMs, positiveInt } from './flags.js';

describe('integer flags', () => {
  it('take digits only: an empty value, a hex number or a fraction is refused, naming the flag', () => {
    expect(positiveInt('12', '--limit')).toBe(12);
    expect(positiveInt(' 0 ', '--port', true)).toBe(0);
    for (const bad of ['', ' ', '0x10', '1.5', '-1', '1e3', 'abc'])
      expect(() => positiveInt(bad, '--limit')).toThrow(/--limit: expected a positive integer/);
    expect(() => positiveInt('0', '--limit')).toThrow(/positive integer, got "0"/);
  });

  it('a duration no timer can wait is refused', () => {
    expect(durationMs('2147483647', '--grace-ms')).toBe(2_147_483_647);
    expect(() => durationMs('2147483648', '--grace-ms')).toThrow(/at most 2147483647 ms/);
    expect(() => durationMs('', '--grace-ms')).toThrow(/--grace-ms: expected a non-negative integer/);
  });
});
