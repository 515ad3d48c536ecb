import { describe, expect, it } from 'vitest';
import { canNode, canRun, nextNodeStatus, nextRunStatus } from './machines.js';

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
});
