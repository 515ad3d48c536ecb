// The command a waiting run's hint gives must be one `approve` carries out: through the parent
// only where the node id is unambiguous in the whole run.
import { describe, expect, it } from 'vitest';
import { approveHint, behindHint } from './approve-hint.js';

const P = 'run_PARENT';
const child = (runId: string, nodeIds: string[], inDoubt?: string[]) => ({
  runId,
  nodeIds,
  ...(inDoubt ? { inDoubt } : {}),
});

describe('approveHint', () => {
  it("a run's own approval: approve it in the run", () => {
    expect(approveHint(P, { nodeId: 'gate' }).command).toBe(`statepipe approve ${P} gate`);
  });

  it('one child run waiting at a node id found nowhere else: approved through the parent', () => {
    const s = { nodeId: 's', waitingChildren: [child('run_S', ['gate'])] };
    expect(approveHint(P, s, [s, { nodeId: 'other' }])).toEqual({
      approvals: ['gate'],
      doubts: [],
      command: `statepipe approve ${P} gate`,
    });
  });

  it('the same node id waiting in the children of two composition nodes: each hint names its child run', () => {
    // A map's item and a subgraph both wait at `gate`: `approve PARENT gate` would be refused.
    const m = { nodeId: 'm', waitingChildren: [child('run_M1', ['gate'])] };
    const s = { nodeId: 's', waitingChildren: [child('run_S', ['gate'])] };
    expect(approveHint(P, s, [m, s]).command).toBe('statepipe approve run_S gate');
    expect(approveHint(P, m, [m, s])).toMatchObject({
      approvals: ['gate (in run_M1)'],
      command: 'statepipe approve run_M1 gate',
    });
  });

  it('a child waiting at a node id the run itself has: named, since approve would take the run own node', () => {
    const s = { nodeId: 's', waitingChildren: [child('run_S', ['check'])] };
    expect(approveHint(P, s, [s, { nodeId: 'check' }]).command).toBe('statepipe approve run_S check');
  });

  it('several items of one map at the same gate: the first named; one in doubt is retried in its run', () => {
    const m = {
      nodeId: 'm',
      waitingChildren: [child('run_A', ['gate']), child('run_B', ['gate']), child('run_C', ['pay'], ['pay'])],
    };
    expect(approveHint(P, m, [m])).toEqual({
      approvals: ['gate (in run_A)', 'gate (in run_B)'],
      doubts: ['pay (in run_C)'],
      command: 'statepipe approve run_A gate',
    });
  });

  it('a node whose record is behind a child that moved on: resume the run, not a decision', () => {
    const m = { nodeId: 'm', waitingChildren: [child('run_A', ['gate']), child('run_B', ['gate'])] };
    const status: Record<string, string> = { run_A: 'waiting', run_B: 'succeeded' };
    expect(behindHint(P, m, (id) => status[id])).toBe(
      `statepipe resume ${P} (child run run_B is succeeded: this run's record is behind it)`,
    );
    status['run_B'] = 'waiting';
    expect(behindHint(P, m, (id) => status[id])).toBeUndefined();
    // A child not known to the reader (not listed) is not taken for one that moved on.
    expect(behindHint(P, m, () => undefined)).toBeUndefined();
  });
});
