import { describe, expect, it } from 'vitest';
import { cancelledUnderWay } from '../core/engine/node-task.js';
import type { RunEvent } from '../core/events.js';
import { eventLines } from './progress.js';
import { paint } from './render.js';

const plain = paint({ isTTY: false });
const cancelled = (data: Extract<RunEvent, { type: 'node.cancelled' }>['data']) =>
  ({ runId: 'r1', seq: 4, ts: '2026-12-07T00:00:00.000Z', type: 'node.cancelled', nodeId: 'place', data }) as RunEvent;

describe('the progress line of a cancelled node', () => {
  it('says only "cancelled" for a node that was not midway through an unsafe effect', () => {
    expect(eventLines(cancelled({ attempt: 1 }), false, plain)).toEqual(['  ✗ place cancelled']);
  });

  it('says what an unsafe effect cut off midway may have done', () => {
    const error = cancelledUnderWay({ id: 'place', type: 'http', config: {} });
    const [line] = eventLines(cancelled({ attempt: 1, error }), false, plain);
    expect(line).toBe(
      '  ✗ place cancelled: its request was under way when the run was cancelled: it may have taken effect (the node is unsafe); it is not sent again unless the run is rerun from this node',
    );
  });
});
