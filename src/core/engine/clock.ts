/** Clocks: the real one, and a simulated one for tests (virtual time, no waiting). */
import type { Clock } from '../ports.js';

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? Object.assign(new Error('aborted'), { name: 'AbortError' });
}

/** setImmediate where the host has it (Node, Electron main): a turn without the 1 ms timer floor. */
export const soon: (fn: () => void) => void =
  (globalThis as { setImmediate?: (fn: () => void) => void }).setImmediate ?? ((fn) => setTimeout(fn, 0));

/** Resolves after the event loop had a turn (a macrotask: microtasks, I/O and due timers ran first). */
export const hostTurn = (): Promise<void> => new Promise<void>((resolve) => soon(resolve));

export const realClock: Clock = {
  turn: hostTurn,
  now: () => Date.now(),
  timer(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(t);
  },
  sleep(ms, signal) {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortError(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
};

interface Timer {
  at: number;
  order: number;
  resolve: () => void;
}

/**
 * Virtual time: `sleep` registers a timer; whenever the program has nothing else to do
 * (a macrotask turn passed with no progress), time jumps to the earliest timer.
 */
export class SimClock implements Clock {
  private t: number;
  private timers: Timer[] = [];
  private order = 0;
  private running = false;

  /** With `auto: false`, time moves only through `advance()`. */
  constructor(
    start = Date.parse('2026-01-01T00:00:00.000Z'),
    private readonly auto = true,
  ) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      const timer: Timer = { at: this.t + Math.max(0, ms), order: this.order++, resolve };
      const onAbort = () => {
        this.timers = this.timers.filter((x) => x !== timer);
        reject(abortError(signal!));
      };
      timer.resolve = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.timers.push(timer);
      this.pump();
    });
  }

  timer(ms: number, fn: () => void): () => void {
    const timer: Timer = { at: this.t + Math.max(0, ms), order: this.order++, resolve: fn };
    this.timers.push(timer);
    this.pump();
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  }

  /** Fires the earliest timer, moving time to it (false when none is set). */
  fireNext(): boolean {
    const next = this.earliest();
    if (!next) return false;
    this.fire(next);
    return true;
  }

  /** Advances time by hand (fires the timers due). */
  advance(ms: number): void {
    const until = this.t + ms;
    for (;;) {
      const next = this.earliest();
      if (!next || next.at > until) break;
      this.fire(next);
    }
    this.t = until;
  }

  private earliest(): Timer | undefined {
    let best: Timer | undefined;
    for (const x of this.timers) if (!best || x.at < best.at || (x.at === best.at && x.order < best.order)) best = x;
    return best;
  }

  private fire(timer: Timer): void {
    this.timers = this.timers.filter((x) => x !== timer);
    this.t = Math.max(this.t, timer.at);
    timer.resolve();
  }

  private pump(): void {
    if (this.running || !this.auto) return;
    this.running = true;
    const step = () => {
      const next = this.earliest();
      if (!next) {
        this.running = false;
        return;
      }
      this.fire(next);
      setTimeout(step, 0);
    };
    setTimeout(step, 0);
  }
}
