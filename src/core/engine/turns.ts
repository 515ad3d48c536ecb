/**
 * A driver busy with pure nodes (they finish in microtasks) would hold the host's event loop:
 * the host's own work (a cancel arriving, the studio's pushes) would wait for the whole run. It
 * gives the host a turn at least every TURN_MS, and only when it really held it: a driver of
 * effectful nodes, whose nodes await I/O, gives the host turns anyway and is never made to wait.
 */
import type { Clock } from '../ports.js';

/** A driver busy with pure nodes gives the host's event loop a turn at least this often (ms). */
const TURN_MS = 10;

export class HostTurns {
  private due = 0;
  private turning = false;
  /** The host had a turn since `due` was set (an effect awaited I/O): no turn needs forcing. */
  private seen = false;

  constructor(
    private readonly clock: Clock,
    /** Called before a forced turn: what finished so far is written and published first. */
    private readonly beforeTurn: () => void,
  ) {}

  /** Starts the next TURN_MS of driving, and notes when the host next gets a turn on its own. */
  arm(): void {
    this.due = this.clock.now() + TURN_MS;
    this.seen = false;
    void this.clock.turn?.().then(() => {
      this.seen = true;
    });
  }

  /**
   * Calls `go` now, or after the host had a turn when the driver has held it for TURN_MS. Forcing
   * a turn on a chain of effectful nodes would write a node's end before the start of the node it
   * makes ready is staged: two transactions where one does.
   */
  next(go: () => void, stopped: boolean): void {
    const { clock } = this;
    if (!clock.turn || stopped) return go();
    if (this.turning) return;
    if (clock.now() < this.due) return go();
    if (this.seen) {
      this.arm();
      return go();
    }
    this.turning = true;
    this.beforeTurn();
    void clock.turn().then(() => {
      this.turning = false;
      this.arm();
      go();
    });
  }
}
