import { describe, expect, it } from 'vitest';
import { errorMessageOf } from './errors.js';

describe('errorMessageOf: the message beside its kind, the kind said once', () => {
  it('drops a leading "<kind>: " the message repeats', () => {
    expect(errorMessageOf({ kind: 'code', message: 'code: kaboom' })).toBe('kaboom');
    expect(errorMessageOf({ kind: 'code', message: 'code: ' })).toBe('code: ');
  });

  it('drops the word "template" before the template a template error names', () => {
    expect(errorMessageOf({ kind: 'template', message: 'template {{input.country}} failed: no such field' })).toBe(
      '{{input.country}} failed: no such field',
    );
    expect(errorMessageOf({ kind: 'template', message: 'unterminated template: "{{a" has no closing }}' })).toBe(
      'unterminated template: "{{a" has no closing }}',
    );
    expect(errorMessageOf({ kind: 'network', message: 'template {{x}} is not this kind' })).toBe(
      'template {{x}} is not this kind',
    );
  });
});
