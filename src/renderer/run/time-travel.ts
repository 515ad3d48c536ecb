/** Time travel's readout: a one-line label of the event the slider stands on. */
import type { RunEvent } from '../../core/events';

export function eventLabel(e: RunEvent | undefined): string {
  if (!e) return 'before the first event';
  return `#${e.seq} ${e.type}${e.nodeId ? ` · ${e.nodeId}` : ''}`;
}
