/**
 * A host's orderly stop (Ctrl+C on `statepipe serve`, quitting the app): every run its engine
 * drives is paused, as a person's pause does (running nodes finish, no new node starts), and the
 * stop waits for those drives to end, at most `graceMs`. It does not wait for nodes that lose
 * nothing by stopping (pure ones, a `delay`'s timer: a resume runs them again, a delay only for
 * what is left of it). A run still driven after that is left as last written, resumable; a node of
 * it still running is then run again by the resume or, unsafe, in doubt.
 */
import type { RunId } from '../ids.js';
import type { Clock } from '../ports.js';
import type { DrivenHere } from './drives.js';

/** Child runs whose parent was driven here too are not named: resuming the parent resumes them. */
export interface PauseAllResult {
  /** Runs whose drive here ended (paused, or they ended or began to wait meanwhile). */
  ended: RunId[];
  /** Runs stopped while nodes of theirs ran: `repeatable`, or the grace period was over. */
  left: RunId[];
}

/** How long abandoned drives get to write their last (their runners aborted) before the host goes on. */
const ABANDON_MS = 2_000;

export async function pauseAll(
  engine: { drivenHere(): DrivenHere[]; startsSettled(): Promise<void> },
  clock: Clock,
  graceMs: number,
): Promise<PauseAllResult> {
  const deadline = clock.now() + graceMs;
  const seen = new Map<RunId, string | undefined>(); // run → its parent
  const asked = new Set<RunId>();
  for (;;) {
    await engine.startsSettled();
    const driven = engine.drivenHere();
    for (const d of driven) seen.set(d.runId, d.parent);
    // A parent's pause reaches its children: the runs whose parent is not driven here go first.
    const roots = new Set(topLevel(driven));
    const ordered = [...roots, ...driven.filter((d) => !roots.has(d))];
    for (const d of ordered) if (!asked.has(d.runId) && d.pause()) asked.add(d.runId);
    const left = deadline - clock.now();
    const top = (ids: RunId[]) => ids.filter((id) => !seen.has(seen.get(id) as RunId));
    if (driven.length === 0) return { ended: top([...seen.keys()]), left: [] };
    if (left <= 0 || driven.every((d) => stoppable(d, driven))) {
      // Parents first: a child's drive that stops is then no news to a parent still driving.
      for (const d of ordered) d.abandon();
      await within(clock, ABANDON_MS, Promise.all(driven.map((d) => d.ended)));
      const stopped = new Set(driven.map((d) => d.runId));
      return { ended: top([...seen.keys()].filter((id) => !stopped.has(id))), left: top([...stopped]) };
    }
    // One drive ending may leave others (its children, now paused) to look at: look again after each.
    await within(clock, left, Promise.race(driven.map((d) => d.ended)));
  }
}

/** The runs among `driven` whose parent is not driven here (what a host names when it stops). */
export function topLevel(driven: readonly DrivenHere[]): DrivenHere[] {
  const here = new Set<string>(driven.map((d) => d.runId));
  return driven.filter((d) => d.parent === undefined || !here.has(d.parent));
}

/**
 * Whether stopping a run now loses nothing: only pure nodes run in it, or also nodes whose child
 * runs are driven here and lose nothing either. (A parent whose children all stopped is about to
 * stop by itself: it is waited for.)
 */
function stoppable(d: DrivenHere, driven: DrivenHere[]): boolean {
  const running = d.running();
  if (running !== 'children') return running === 'pure';
  const children = driven.filter((c) => c.parent === d.runId);
  return children.length > 0 && children.every((c) => stoppable(c, driven));
}

async function within(clock: Clock, ms: number, p: Promise<unknown>): Promise<void> {
  const timer = new AbortController();
  await Promise.race([p, clock.sleep(ms, timer.signal).catch(() => undefined)]);
  timer.abort();
}
