/**
 * The CLI on PostgreSQL: the same session of commands (run, list, inspect, export, approve,
 * pause, resume, the errors) on a SQLite file and on a PostgreSQL database gives the same output
 * and exit codes, once what differs by nature is masked (run ids, times, durations, the
 * database's name). The URL carries a password, which must appear nowhere. A server that cannot
 * be reached is exit 4 with one line.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, errLines, fastGraph, startedRunId, tmpDir, type CliResult } from '../../src/cli/cli-test-kit.js';
import { PASSWORD_ROLE } from './cluster.js';
import { testDatabase } from './db.js';

const DOC_INPUT = JSON.stringify({ text: 'Alice leads ProjectX in Berlin and the team is happy with it' });
const VENDOR_INPUT = JSON.stringify({ vendor: 'Acme', country: 'DE' });

type Session = Record<string, CliResult>;

/** The same commands, in order, on the database `db` (named `shown` in messages). */
async function session(db: string): Promise<Session> {
  const dir = tmpDir();
  const doc = fastGraph('document-pipeline', dir);
  const vendor = fastGraph('vendor-onboarding', dir);
  const on = (...args: string[]) => cli([...args, '--db', db], { cwd: dir, timeoutMs: 60_000 });
  const s: Session = {};
  s['run --json'] = await on('run', doc, '--input', DOC_INPUT, '--json');
  const done = (JSON.parse(s['run --json'].stdout) as { runId: string }).runId;
  s['run (waits)'] = await on('run', vendor, '--input', VENDOR_INPUT);
  const waiting = startedRunId(s['run (waits)'].stdout);
  s['list'] = await on('list');
  s['list --json'] = await on('list', '--json');
  s['list --status'] = await on('list', '--status', 'waiting');
  s['inspect'] = await on('inspect', done);
  s['inspect --json'] = await on('inspect', done, '--json');
  s['inspect --node'] = await on('inspect', done, '--node', 'extract');
  s['export'] = await on('export', done);
  s['export-graph'] = await on('export-graph', done);
  // `--wait`: drive it here on PostgreSQL too (else it goes to a worker), as SQLite always does.
  s['approve'] = await on('approve', waiting, 'approval', '--by', 'alice', '--comment', 'fine', '--json', '--wait');
  s['approve again'] = await on('approve', waiting, 'approval');
  s['run (waits) 2'] = await on('run', vendor, '--input', VENDOR_INPUT);
  const third = startedRunId(s['run (waits) 2'].stdout);
  s['pause'] = await on('pause', third);
  s['resume'] = await on('resume', third, '--wait');
  s['cancel'] = await on('cancel', third);
  s['resume cancelled'] = await on('resume', third);
  s['inspect unknown'] = await on('inspect', 'run_nope');
  s['replay'] = await on('replay', done);
  return s;
}

/**
 * What differs by nature between two sessions masked (as between two runs on SQLite): ids, times,
 * durations, the seqs of concurrent nodes' events; lines sorted where concurrent nodes interleave.
 */
function normalize(s: Session, dbNames: string[]): Record<string, { code: number | null; out: string; err: string }> {
  const ids = new Map<string, string>();
  const mask = (text: string): string => {
    let t = text;
    for (const name of dbNames) t = t.split(name).join('<db>');
    t = t.replace(/run_[0-9A-HJKMNP-TV-Z]{26}/g, (id) => {
      if (!ids.has(id)) ids.set(id, `<run${ids.size + 1}>`);
      return ids.get(id)!;
    });
    return t
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, '<ts>')
      .replace(/\b\d+(\.\d+)?(ms|s|m|h)\b/g, '<dur>')
      .replace(/"(durationMs|until|seq)": ?\d+/g, '"$1":<n>')
      .replace(/\b1\d{12}\b/g, '<epoch ms>')
      .replace(/ {2,}/g, ' ');
  };
  const lines = (text: string) => mask(text).split('\n').sort().join('\n');
  return Object.fromEntries(
    Object.entries(s).map(([k, r]) => [k, { code: r.code, out: lines(r.stdout), err: lines(r.stderr) }]),
  );
}

describe('the CLI on PostgreSQL', () => {
  it('a session of commands gives the output and exit codes it gives on SQLite; the password shows nowhere', async () => {
    const url = await testDatabase({ owner: 'password-role' });
    const file = path.join(tmpDir(), 'sp.db');
    const [lite, pg] = [await session(file), await session(url)];
    const shownUrl = url.replace(PASSWORD_ROLE.password, '***');
    for (const r of Object.values(pg)) {
      expect(r.stdout + r.stderr).not.toContain(PASSWORD_ROLE.password);
    }
    expect(pg['inspect unknown']!.stderr).toContain(`not found in ${shownUrl}`);
    expect(normalize(pg, [shownUrl])).toEqual(normalize(lite, [file]));
    // And what the session is about, so that two equally broken stores cannot pass.
    expect(Object.fromEntries(Object.entries(pg).map(([k, r]) => [k, r.code]))).toEqual({
      'run --json': 0,
      'run (waits)': 3,
      list: 0,
      'list --json': 0,
      'list --status': 0,
      inspect: 0,
      'inspect --json': 0,
      'inspect --node': 0,
      export: 0,
      'export-graph': 0,
      approve: 0,
      'approve again': 2,
      'run (waits) 2': 3,
      pause: 3,
      resume: 3,
      cancel: 1,
      'resume cancelled': 2,
      'inspect unknown': 2,
      replay: 0,
    });
    expect(JSON.parse(pg['approve']!.stdout)).toMatchObject({
      status: 'succeeded',
      result: { result: { approvedBy: 'alice' } },
    });
    expect(pg['list']!.stdout.trim().split('\n')).toHaveLength(3); // the header and the two runs so far
  }, 240_000);

  it('a server that cannot be reached: exit 4, one line, no password', async () => {
    const url = `postgres://${PASSWORD_ROLE.user}:${PASSWORD_ROLE.password}@127.0.0.1:1/statepipe`;
    for (const args of [['list'], ['inspect', 'run_x'], ['run', 'nope.json']]) {
      const r = await cli([...args, '--db', url]);
      expect(r.code, args.join(' ')).toBe(args[0] === 'run' ? 2 : 4);
      expect(errLines(r)).toHaveLength(1);
      expect(r.stderr + r.stdout).not.toContain(PASSWORD_ROLE.password);
    }
    const env = await cli(['list'], { env: { STATEPIPE_DB: url } });
    expect(env.code).toBe(4);
    expect(errLines(env)).toEqual([
      `statepipe: cannot reach PostgreSQL at postgres://${PASSWORD_ROLE.user}:***@127.0.0.1:1/statepipe: connection refused`,
    ]);
  });
});
