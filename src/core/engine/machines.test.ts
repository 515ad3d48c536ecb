import { describe, expect, it } from 'vitest';
import {
  canControl,
  canNode,
  canRun,
  nextNodeStatus,
  nextRunStatus,
  nodeStatusAfter,
  runStatusAfter,
} from './machines.js';

describe('run and node machines', () => {
  it('allow the lifecycle of docs/runtime.md "States"', () => {
    let s = nextRunStatus('queued', 'START');
    s = nextRunStatus(s, 'PAUSE');
    s = nextRunStatus(s, 'RESUME');
    s = nextRunStatus(s, 'WAIT');
    s = nextRunStatus(s, 'RESUME');
    expect(nextRunStatus(s, 'SUCCEED')).toBe('succeeded');
    expect(nextRunStatus('running', 'INTERRUPT')).toBe('interrupted');
    expect(nextRunStatus('interrupted', 'RESUME')).toBe('running');
    let n = nextNodeStatus('a', 'idle', 'QUEUE');
    n = nextNodeStatus('a', n, 'START');
    n = nextNodeStatus('a', n, 'RETRY');
    n = nextNodeStatus('a', n, 'START');
    expect(nextNodeStatus('a', n, 'SUCCEED')).toBe('succeeded');
    expect(nextNodeStatus('a', 'running', 'DOUBT')).toBe('in-doubt');
  });

  it('refuse illegal transitions with a clear error', () => {
    expect(() => nextRunStatus('succeeded', 'RESUME')).toThrow('illegal transition: a succeeded run cannot resume');
    expect(() => nextNodeStatus('gate', 'running', 'DECIDE')).toThrow('node gate is running and cannot decide');
    expect(canRun('cancelled', 'RESUME')).toBe(false);
    expect(canNode('succeeded', 'START')).toBe(false);
    expect(canNode('skipped', 'START')).toBe(false);
  });

  it('say the status after each event, whatever came before (the one rule projections and views follow)', () => {
    expect(runStatusAfter('run.retried')).toBe('running');
    expect(runStatusAfter('run.resumed')).toBe('running');
    expect(runStatusAfter('run.waiting')).toBe('waiting');
    expect(runStatusAfter('run.created')).toBeUndefined();
    expect(runStatusAfter('node.started')).toBeUndefined();
    expect(nodeStatusAfter('node.requeued')).toBe('queued');
    expect(nodeStatusAfter('node.reset')).toBe('idle');
    expect(nodeStatusAfter('approval.requested')).toBe('waiting');
    expect(nodeStatusAfter('approval.granted')).toBe('waiting');
    expect(nodeStatusAfter('node.succeeded', { reusedFrom: 'run_x' })).toBe('succeeded');
    expect(nodeStatusAfter('node.log')).toBeUndefined();
  });

  it('say which controls apply to a run', () => {
    expect(canControl('running', 'pause')).toBe(true);
    expect(canControl('queued', 'pause')).toBe(true);
    expect(canControl('paused', 'pause')).toBe(false);
    expect(canControl('interrupted', 'resume')).toBe(true);
    expect(canControl('waiting', 'resume')).toBe(false);
    expect(canControl('failed', 'cancel')).toBe(false);
    expect(canControl('waiting', 'cancel')).toBe(true);
    expect(canControl('cancelled', 'rerun')).toBe(true);
    expect(canControl('running', 'rerun')).toBe(false);
  });
});
