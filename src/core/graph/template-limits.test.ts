/** Templates that do not end: a deadline, a depth bound, a cancel, and turns for the host meanwhile. */
import { describe, expect, it } from 'vitest';
import { NodeFailure } from '../errors.js';
import type { TemplateScope } from '../ports.js';
import { EvalBudget } from './template-limits.js';
import {
  TEMPLATE_MAX_DEPTH,
  TEMPLATE_TIME_CAP_MS,
  evalCondition,
  evaluateExpression,
  renderConfig,
} from './templates.js';
import { nodeFailure as failure } from '../engine/test-kit.js';

const scope: TemplateScope = { input: { n: 3 }, nodes: {} };
const LOOP = '($f := function($x){ $f($x + 1) }; $f(1))';
const DEEP = '($f := function($x){ 1 + $f($x + 1) }; $f(1))';

describe('bounded evaluation', () => {
  it('an endless tail recursion fails with kind template at its time limit, and the host gets turns meanwhile', async () => {
    let turns = 0;
    const ticker = setInterval(() => turns++, 1);
    const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    const f = await failure(renderConfig({ value: `{{${LOOP}}}` }, scope, undefined, { timeoutMs: 300, turn }));
    clearInterval(ticker);
    expect(f.kind).toBe('template');
    expect(f.retryable).toBe(false);
    expect(f.message).toContain(`template {{${LOOP}}} failed: still running after 300 ms`);
    expect(turns).toBeGreaterThan(0); // timers ran while the expression looped
  });

  it('an endless non-tail recursion fails on the depth bound (not at 4 GB)', async () => {
    const f = await failure(evaluateExpression(DEEP, scope));
    expect(f.kind).toBe('template');
    expect(f.message).toContain(`more than ${TEMPLATE_MAX_DEPTH} nested steps`);
  });

  it('a condition is bounded the same way', async () => {
    const f = await failure(evalCondition(`${LOOP} = 1`, scope, { timeoutMs: 100 }));
    expect(f.kind).toBe('template');
    expect(f.message).toMatch(/^condition ".*" failed: still running after 100 ms/);
  });

  it('without a turn (a simulated clock, replay) the evaluation never yields: still bounded', async () => {
    let turns = 0;
    const ticker = setInterval(() => turns++, 1);
    const f = await failure(evaluateExpression(LOOP, scope, undefined, { timeoutMs: 100 }));
    clearInterval(ticker);
    expect(f.message).toContain('still running after 100 ms');
    expect(turns).toBe(0);
  });

  it('a time limit above the hard cap is capped', () => {
    expect(new EvalBudget({ timeoutMs: 10 * TEMPLATE_TIME_CAP_MS }).timeoutMs).toBe(TEMPLATE_TIME_CAP_MS);
    expect(new EvalBudget({}).timeoutMs).toBe(TEMPLATE_TIME_CAP_MS);
    expect(new EvalBudget({ timeoutMs: 250 }).timeoutMs).toBe(250);
  });

  it('a cancel ends the evaluation with the cancel, not a template failure', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(new NodeFailure('cancelled', 'the run was cancelled')), 50);
    const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    const f = await failure(
      renderConfig({ a: `{{${LOOP}}}` }, scope, undefined, { timeoutMs: 5_000, signal: ac.signal, turn }),
    );
    expect(f.kind).toBe('cancelled');
  });

  it('legitimate recursion, wide sorts and parallel renders are not affected', async () => {
    const fact = '($f := function($x){ $x <= 1 ? 1 : $x * $f($x - 1) }; $f(100))';
    expect(await evaluateExpression(fact, scope)).toBeGreaterThan(1e157);
    expect(await evaluateExpression('$sort([1..3000], function($a, $b){ $a < $b })[0]', scope)).toBe(3000);
    const many = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, `{{input.n + ${i}}}`]));
    const out = await renderConfig(many, scope, undefined, { timeoutMs: 5_000 });
    expect(out['k199']).toBe(202);
  });
});
