/**
 * A throwaway PostgreSQL cluster from the machine's own binaries (Debian's `postgresql`
 * package: /usr/lib/postgresql/<version>/bin): `initdb` into a temp folder, `pg_ctl start` on a
 * free port of 127.0.0.1, and `stop()` removes it all. Used by the vitest global setup of the
 * PostgreSQL tests (test/pg/global-setup.ts) and by the bench. Not a mock: a real server.
 *
 * PostgreSQL refuses to run as root; as root the cluster runs as the `postgres` system user
 * (`runuser -u postgres --`) in a folder it owns.
 *
 * Roles: `postgres` (superuser, trust on 127.0.0.1) and `statepipe_pw`, whose password
 * (PASSWORD_ROLE) is checked (scram-sha-256): the tests that a password never leaks use it.
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A role that must log in with its password (the redaction tests). */
export const PASSWORD_ROLE = { user: 'statepipe_pw', password: 'S3cret-Pa55word' } as const;

export interface Cluster {
  /** Superuser URL of the `postgres` database: postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  dir: string;
  /** The major version of the binaries used (e.g. 15). */
  version: number;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /**
   * Durable commits as a production server has them (fsync on). Off by default for tests: a
   * throwaway cluster need not survive a power cut, and fsync on a shared disk slows every test.
   */
  durable?: boolean;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string | number>;
}

/** The newest installed PostgreSQL's bin folder, found by glob (no fixed version). */
export function findPgBin(): { bin: string; version: number } {
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base)
    ? fs
        .readdirSync(base)
        .filter((v) => /^\d+$/.test(v) && fs.existsSync(path.join(base, v, 'bin', 'initdb')))
        .map(Number)
        .sort((a, b) => b - a)
    : [];
  if (versions.length === 0)
    throw new Error(
      'PostgreSQL binaries not found (no /usr/lib/postgresql/*/bin/initdb): install them with `apt-get install -y postgresql` (.ci/run does)',
    );
  return { bin: path.join(base, String(versions[0]), 'bin'), version: versions[0]! };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs a PostgreSQL binary as a user it accepts. */
async function pg(bin: string, args: string[], timeoutMs = 120_000): Promise<string> {
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  try {
    const { stdout } = await run(cmd, argv, { timeout: timeoutMs, env: { ...process.env, LC_ALL: 'C' } });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${path.basename(bin)} failed: ${(e.stderr ?? '').trim() || e.message}`);
  }
}

export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const { bin, version } = findPgBin();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'statepipe-pg-'));
  const data = path.join(dir, 'data');
  if (asRoot) {
    const { uid, gid } = userIds('postgres');
    fs.chownSync(dir, uid, gid);
  }
  fs.chmodSync(dir, 0o700);
  try {
    const initdb = ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C'];
    await pg(path.join(bin, 'initdb'), opts.durable ? initdb : [...initdb, '--no-sync']);
    // The superuser without a password; every other role with its password checked.
    fs.writeFileSync(
      path.join(data, 'pg_hba.conf'),
      [
        'local all postgres trust',
        'host all postgres 127.0.0.1/32 trust',
        'host all all 127.0.0.1/32 scram-sha-256',
        '',
      ].join('\n'),
    );
    const settings: Record<string, string | number> = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: dir,
      max_connections: 200,
      shared_buffers: '64MB',
      ...(opts.durable ? {} : { fsync: 'off', full_page_writes: 'off' }),
      ...opts.settings,
    };
    let lastErr: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freePort();
      const o = [`-p ${port}`, ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)].join(' ');
      try {
        await pg(path.join(bin, 'pg_ctl'), ['-D', data, '-l', path.join(dir, 'server.log'), '-o', o, '-w', 'start']);
      } catch (err) {
        lastErr = err; // most likely the port was taken meanwhile: try another
        continue;
      }
      const cluster: Cluster = {
        url: `postgres://postgres@127.0.0.1:${port}/postgres`,
        port,
        dir,
        version,
        stop: async () => {
          await pg(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
      const psql = path.join(bin, 'psql');
      await pg(psql, [
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        '-U',
        'postgres',
        '-d',
        'postgres',
        '-v',
        'ON_ERROR_STOP=1',
        '-c',
        `CREATE ROLE ${PASSWORD_ROLE.user} LOGIN CREATEDB PASSWORD '${PASSWORD_ROLE.password}'`,
      ]);
      return cluster;
    }
    const log = path.join(dir, 'server.log');
    const tail = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').slice(-5).join('\n') : '';
    throw new Error(`pg_ctl start failed: ${(lastErr as Error).message}\n${tail}`);
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

function userIds(name: string): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
  return { uid, gid };
}
