import { describe, expect, it } from 'vitest';
import { CODE_HEAD, CODE_TAIL } from '../../core/graph/code-syntax.js';
import { CODE_WORKER_SOURCE } from './code-worker.js';

describe('the code worker', () => {
  it('compiles the code between the strings validation parses (graph/code-syntax.ts)', () => {
    expect(CODE_WORKER_SOURCE).toContain(
      `new vm.Script(${JSON.stringify(CODE_HEAD)} + code + ${JSON.stringify(CODE_TAIL)}, scriptOptions('code.js'))`,
    );
  });
});
