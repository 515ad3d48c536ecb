import type { PauseReason } from '../events.js';

/** How a drive of a run ended for now: what its callers (engine, host, CLI) are told. */
export interface RunOutcome {
  runId: string;
  status: 'succeeded' | 'failed' | 'cancelled' | 'waiting' | 'paused' | 'interrupted' | 'running' | 'queued';
  result?: unknown;
  error?: { kind: string; message: string; nodeId?: string };
  /** Approvals (or in-doubt nodes) a person must decide. */
  waitingFor?: string[];
  pauseReason?: PauseReason;
  compensated?: boolean;
  /** The action was carried out by the process that drives the run (a resume left as a control): it goes on there. */
  drivenElsewhere?: true;
}
