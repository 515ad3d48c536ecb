/**
 * Bounds on a JSONata evaluation. A template is an expression, but JSONata is a full language:
 * `($f := function($x){ $f($x + 1) }; $f(1))` loops forever (JSONata turns the tail call into a
 * loop of microtasks, so nothing else in the process ever runs again: no timer, no signal, no
 * socket), and a non-tail recursion grows its chain of pending promises until Node aborts.
 *
 * JSONata calls (and awaits) the `__evaluate_entry` / `__evaluate_exit` hooks around every step
 * it evaluates. The hooks installed here give each evaluation
 * - a deadline (the node's `timeoutMs`, at most TEMPLATE_TIME_CAP_MS),
 * - a depth bound (TEMPLATE_MAX_DEPTH nested steps),
 * - the run's AbortSignal (a cancel ends it),
 * - and, given the host's `turn` (Clock.turn), a turn of its event loop every TURN_EVERY_MS, so
 *   a long evaluation never holds the host (Ctrl+C, the web host's API and a cancel keep working
 *   while it runs). A simulated clock has no turn: replay stays deterministic (a turn there
 *   would let the replay believe the engine idle while a template still runs).
 * Past a bound the evaluation throws NodeFailure('template'): the node fails with kind `template`.
 */
import type jsonata from 'jsonata';
import { NodeFailure } from '../errors.js';

/** No evaluation runs longer than this, whatever the node's `timeoutMs`. */
export const TEMPLATE_TIME_CAP_MS = 10_000;
/** Nested evaluation steps at most: a few hundred levels of a recursive function. */
export const TEMPLATE_MAX_DEPTH = 5_000;
/** A running evaluation hands the host's event loop a turn at least this often (ms). */
const TURN_EVERY_MS = 10;
/** The clock and the signal are looked at every this many steps (a step costs well under 1 µs). */
const STEPS_PER_LOOK = 64;

export interface EvalLimits {
  /** The evaluation's time limit (ms; capped at TEMPLATE_TIME_CAP_MS). */
  timeoutMs?: number;
  /** Aborts the evaluation (the run was cancelled); the signal's reason is thrown. Only looked at. */
  signal?: Pick<AbortSignal, 'aborted' | 'reason'>;
  /** Hands the host's event loop a turn (Clock.turn); without it the evaluation never yields. */
  turn?: () => Promise<void>;
}

/** The bounds of a runner's own evaluations: its attempt's time limit, signal and host turn. */
export function limitsOf(ctx: {
  timeoutMs: number;
  signal: AbortSignal;
  clock: { turn?: () => Promise<void> };
}): EvalLimits {
  return { timeoutMs: ctx.timeoutMs, signal: ctx.signal, ...(ctx.clock.turn ? { turn: ctx.clock.turn } : {}) };
}

/** The binding through which the (shared, cached) hooks find the bounds of the evaluation they are in. */
const PROBE = '__statepipe_limits';

/**
 * The bounds of one rendering (all the templates of a node's config share its deadline); each
 * expression evaluated under it gets its own depth count (`probe()`).
 */
export class EvalBudget {
  readonly timeoutMs: number;
  private readonly deadline: number;
  private turnAt: number;
  private readonly signal: EvalLimits['signal'];
  private readonly turn: (() => Promise<void>) | undefined;
  private steps = 0;

  constructor(limits: EvalLimits = {}) {
    this.timeoutMs = Math.min(Math.max(0, limits.timeoutMs ?? TEMPLATE_TIME_CAP_MS), TEMPLATE_TIME_CAP_MS);
    const now = Date.now();
    this.deadline = now + this.timeoutMs;
    this.turnAt = now + TURN_EVERY_MS;
    this.signal = limits.signal;
    this.turn = limits.turn;
  }

  /** The bindings that carry this budget into one evaluation. */
  probe(): Record<string, unknown> {
    return { [PROBE]: new Probe(this) };
  }

  /** Throws past a bound; every TURN_EVERY_MS (given a turn), a promise of a host turn. */
  check(depth: number): Promise<void> | undefined {
    if (depth > TEMPLATE_MAX_DEPTH)
      throw new NodeFailure(
        'template',
        `more than ${TEMPLATE_MAX_DEPTH} nested steps (a recursion that does not end, or one too deep)`,
      );
    if (++this.steps % STEPS_PER_LOOK !== 0) return undefined;
    if (this.signal?.aborted) throw this.signal.reason;
    const now = Date.now();
    if (now > this.deadline)
      throw new NodeFailure(
        'template',
        `still running after ${this.timeoutMs} ms (a loop or recursion that does not end?)`,
      );
    if (!this.turn || now < this.turnAt) return undefined;
    return this.turn().then(() => {
      this.turnAt = Date.now() + TURN_EVERY_MS;
    });
  }
}

/** One evaluation's depth under a budget. */
class Probe {
  depth = 0;
  constructor(readonly budget: EvalBudget) {}
}

interface HookEnv {
  lookup(name: string): unknown;
  /** Set by JSONata on the branches after the first of a parallel evaluation (sort, group). */
  isParallelCall?: boolean;
}

const probeOf = (env: HookEnv): Probe | undefined => {
  const p = env.lookup(PROBE);
  return p instanceof Probe ? p : undefined;
};

/**
 * Installs the hooks on a compiled expression (once: the expression is cached and shared by
 * concurrent evaluations, which the per-evaluation binding tells apart). Parallel branches
 * after the first are not counted, as in JSONata's own time-boxing example: the branches of a
 * sort over 10 000 items are all entered before any exits, which is width, not depth.
 */
export function installLimits(compiled: jsonata.Expression): void {
  compiled.assign(
    Symbol.for('jsonata.__evaluate_entry') as unknown as string,
    (_e: unknown, _i: unknown, env: HookEnv) => {
      const p = probeOf(env);
      if (!p) return undefined;
      if (!env.isParallelCall) p.depth++;
      return p.budget.check(p.depth);
    },
  );
  compiled.assign(
    Symbol.for('jsonata.__evaluate_exit') as unknown as string,
    (_e: unknown, _i: unknown, env: HookEnv) => {
      const p = probeOf(env);
      if (p && !env.isParallelCall) p.depth--;
    },
  );
}
