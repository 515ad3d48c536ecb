// A person's next step in `statepipe chaos` when a kill left the parent's record behind its child:
// the approve process died after the child run moved on past its gate and before the parent wrote
// it. The parent's record still says the child waits there; approving it again would be refused
// ("not waiting for approval"). The campaign resumes the parent instead, which reads its child
// again and ends. Real processes, a real SQLite file, a real SIGKILL at that write.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHAOS_KILL_ENV, CHAOS_TRACE_ENV, type ChaosTraceLine } from '../host/chaos.js';
import { cli, tmpDir } from './cli-test-kit.js';
import { nextCommand } from './commands/chaos-drive.js';
import { snapshot } from './commands/chaos-check.js';

const gated = {
  format: 'statepipe.graph',
  version: 1,
  id: 'gated',
  nodes: [
    { id: 'start', type: 'input' },
    { id: 'gate', type: 'approval', config: { title: 'ok?' } },
  ],
  edges: [{ id: 'e1', source: 'start', target: 'gate' }],
};
const graph = {
  format: 'statepipe.graph',
  version: 1,
  id: 'outer',
  graphs: { gated },
  nodes: [{ id: 's', type: 'subgraph', config: { graph: 'gated' } }],
  edges: [],
};

describe('statepipe chaos after a kill between a child and its parent', () => {
  it('resumes the parent whose record is behind, instead of approving a gate already passed', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'outer.json');
    fs.writeFileSync(file, JSON.stringify(graph));
    const db = path.join(dir, 'a.db');
    const started = await cli(['run', file, '--db', db]);
    expect(started.code, started.stderr).toBe(3);
    const parent = (await snapshot(db, /run_\w+/.exec(started.stdout)![0])).state;
    const childId = parent.nodes.get('s')!.waitingChildren![0]!.runId;
    const killed = path.join(dir, 'b.db');
    fs.copyFileSync(db, killed);
    // Where the approval's process first writes the parent: found on one copy, killed at on the other.
    const trace = path.join(dir, 'trace.jsonl');
    const approve = ['approve', childId, 'gate', '--by', 'chaos'];
    const clean = await cli([...approve, '--db', db], { env: { [CHAOS_KILL_ENV]: 'never', [CHAOS_TRACE_ENV]: trace } });
    expect(clean.code, clean.stderr).toBe(0);
    const lines = fs
      .readFileSync(trace, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ChaosTraceLine);
    const parentWrite = lines.find((l) => l.runId === parent.runId)!;
    expect(
      lines.some((l) => l.runId === childId && l.n < parentWrite.n),
      'the child is written first',
    ).toBe(true);
    const dead = await cli([...approve, '--db', killed], { env: { [CHAOS_KILL_ENV]: `${parentWrite.n}:before` } });
    expect(dead.signal).toBe('SIGKILL');
    // The child passed its gate; the parent's record still has it waiting there.
    expect((await snapshot(killed, childId)).state.nodes.get('gate')!.status).toBe('succeeded');
    expect((await snapshot(killed, parent.runId)).state.nodes.get('s')!.waitingChildren).toEqual([
      expect.objectContaining({ runId: childId, nodeIds: ['gate'] }),
    ]);
    expect(await nextCommand(killed, parent.runId)).toEqual({ cmd: 'resume', args: [parent.runId] });
    // A person who inspects the parent is told the same, not to approve the gate the child passed.
    const shown = await cli(['inspect', parent.runId, '--db', killed]);
    expect(shown.stdout).toMatch(
      new RegExp(`statepipe resume ${parent.runId} \\(child run ${childId} is \\w+: this run's record is behind it\\)`),
    );
    expect(shown.stdout).not.toContain(`statepipe approve ${childId}`);
    const resumed = await cli(['resume', parent.runId, '--db', killed]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(await nextCommand(killed, parent.runId)).toBe('done');
  }, 60_000);
});
