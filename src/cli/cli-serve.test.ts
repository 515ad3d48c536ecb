/** `statepipe serve`: starts the web host on the same database, stops cleanly on SIGTERM; a port in use exits 2. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ROOT, cli, errLines, tmpDir } from './cli-test-kit.js';

describe('statepipe serve', () => {
  it('prints the studio URL, answers HTTP, exits 0 on SIGTERM', async () => {
    const dir = tmpDir();
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'bin', 'statepipe.js'), 'serve', '--port', '0', '--db', path.join(dir, 'db')],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    // A failed expectation must not leave the server running.
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${stdout} ${stderr}`)), 20_000);
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        const m = /(http:\/\/127\.0\.0\.1:\d+\/\S*)/.exec(stdout);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    });
    const res = await fetch(url);
    expect([200, 503]).toContain(res.status); // 503 until the renderer is built
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('a port in use is a usage error: exit 2, one line naming the port and the way out', async () => {
    const holder = net.createServer();
    const port = await new Promise<number>((resolve) =>
      holder.listen(0, '127.0.0.1', () => resolve((holder.address() as net.AddressInfo).port)),
    );
    try {
      const r = await cli(['serve', '--port', String(port), '--db', path.join(tmpDir(), 'db')]);
      expect(r.code).toBe(2);
      expect(errLines(r)).toEqual([`statepipe: serve: port ${port} is in use on 127.0.0.1 (try --port 0)`]);
      expect(r.stdout).toBe('');
    } finally {
      holder.close();
    }
  });

  it('--allow-origin takes an origin only: anything else is exit 2 naming it', async () => {
    const r = await cli([
      'serve',
      '--port',
      '0',
      '--allow-origin',
      'http://10.0.0.5:7777/studio',
      '--db',
      path.join(tmpDir(), 'db'),
    ]);
    expect(r.code).toBe(2);
    expect(errLines(r)).toEqual([
      'statepipe: serve: --allow-origin http://10.0.0.5:7777/studio: give only scheme, host and port (e.g. http://10.0.0.5:7777)',
    ]);
  });

  it('STATEPIPE_TOKEN: a token kept across restarts; a weak one is exit 2', async () => {
    const weak = await cli(['serve', '--port', '0', '--db', path.join(tmpDir(), 'db')], {
      env: { STATEPIPE_TOKEN: 'short' },
    });
    expect(weak.code).toBe(2);
    expect(errLines(weak)[0]).toContain('STATEPIPE_TOKEN must be at least 16 characters');
  });

  it('--workers on a SQLite file is exit 2 before the file is created or migrated', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'x.db');
    const r = await cli(['serve', '--workers', '--port', '0', '--db', file]);
    expect(r.code).toBe(2);
    expect(errLines(r)).toEqual([
      `statepipe: --workers needs a PostgreSQL store (--db postgres://…): workers take runs from a queue in the database; ${file} is a SQLite file`,
    ]);
    expect(r.stdout).toBe('');
    expect(fs.readdirSync(dir)).toEqual([]); // no x.db, nor its -wal or -shm
  });
});
