/**
 * What a host pushes to the renderer, unasked: the same messages over Electron IPC and the web
 * host's WebSocket. Built by one host helper (src/host/push.ts), so both hosts say the same.
 */
import type { RunEvent } from '../core/events';
import type { RunStatus } from '../core/ports';

/** An event as pushed: adjacent token events of a node may be merged (`data.mergedSeqs`). */
export type WireEvent = RunEvent & { data: RunEvent['data'] & { mergedSeqs?: number[] } };

/** The commands of the desktop app's menu: the renderer owns the open graph and acts on them. */
export type MenuCommand =
  'new' | 'open' | 'save' | 'save-as' | 'import' | 'export' | 'view-editor' | 'view-runs' | 'view-settings';

/**
 * `events`: one run's events committed since the last message, in ascending seq (token events
 * coalesced: one per node per frame at most). `status`: a run's status changed without an event
 * (PostgreSQL: a run a worker's drain handed back reads `queued`, `running` again once another
 * worker takes it), with the status its row has now. `hello`: the web host's greeting, with the
 * feed's position. `menu`: a menu command of the desktop app.
 */
export type HostMessage =
  | { kind: 'hello'; lastEventCursor: number }
  | { kind: 'events'; runId: string; events: WireEvent[] }
  | { kind: 'status'; runId: string; status: RunStatus }
  | { kind: 'menu'; command: MenuCommand };
