// Test harness: a real PostgreSQL 15 server from Debian's package (initdb + postgres, not the
// system cluster) on a free loopback port with a temp data dir. PostgreSQL refuses to run as root,
// so under root (CI) the server runs as the `postgres` user the package creates (else `nobody`).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../src/store/influxd.js';
import { requireBinary, startWithRetries, stopChild } from './engines.js';

export interface TestPostgres {
  /** postgres://gridwatch@127.0.0.1:<port>/gridwatch */
  url: string;
  port: number;
  proc: ChildProcess;
  /** a fresh database on this server (for a test that wants an empty schema) */
  createDatabase(name: string): Promise<string>;
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  cleanup(): Promise<void>;
}

const INSTALL = 'apt-get install -y postgresql';

function pgBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const dir = versions.map((v) => join(root, v, 'bin')).find((d) => existsSync(join(d, 'initdb')));
  if (dir) return dir;
  return requireBinary('initdb', INSTALL).replace(/\/initdb$/, '');
}

function runAs(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
      return { uid, gid };
    } catch {
      // try the next one
    }
  }
  throw new Error('running as root and neither a `postgres` nor a `nobody` user exists; install PostgreSQL with: ' + INSTALL);
}

export async function startTestPostgres(): Promise<TestPostgres> {
  const bin = pgBinDir();
  const user = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'gw-pg-'));
  const data = join(dir, 'data');
  if (user) chownSync(dir, user.uid, user.gid);
  execFileSync(join(bin, 'initdb'), ['-D', data, '-U', 'gridwatch', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8'], { stdio: 'ignore', ...(user ?? {}), cwd: dir });
  const { proc, port } = await startWithRetries(async () => {
    const port = await freePort();
    const proc = spawn(join(bin, 'postgres'), [
      '-D', data, '-p', String(port), '-k', dir,
      '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=200',
      '-c', 'logging_collector=off', '-c', 'log_min_messages=fatal',
    ], { stdio: 'ignore', ...(user ?? {}), cwd: dir });
    try {
      await waitForPostgres(port, proc);
    } catch (err) {
      await stopChild(proc, 'SIGKILL');
      throw err;
    }
    return { proc, port };
  });
  const urlOf = (db: string): string => `postgres://gridwatch@127.0.0.1:${port}/${db}`;
  const admin = new pg.Client({ connectionString: urlOf('postgres') });
  // the server's shutdown at cleanup (or a test stopping it) ends this session: not an error of the test
  admin.on('error', () => undefined);
  await admin.connect();
  await admin.query('CREATE DATABASE gridwatch');
  return {
    url: urlOf('gridwatch'),
    port,
    proc,
    createDatabase: async (name) => {
      await admin.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
      return urlOf(name);
    },
    query: async (sql, params) => {
      const c = new pg.Client({ connectionString: urlOf('gridwatch') });
      c.on('error', () => undefined);
      await c.connect();
      try {
        return (await c.query(sql, params)).rows;
      } finally {
        await c.end();
      }
    },
    cleanup: async () => {
      await admin.end().catch(() => undefined);
      // SIGINT is PostgreSQL's "fast shutdown": open sessions are ended, no wait for clients.
      await stopChild(proc, 'SIGINT');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPostgres(port: number, proc: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`postgres exited with ${proc.exitCode} on port ${port}`);
    const c = new pg.Client({ host: '127.0.0.1', port, user: 'gridwatch', database: 'postgres', connectionTimeoutMillis: 1000 });
    try {
      await c.connect();
      await c.query('SELECT 1');
      await c.end();
      return;
    } catch {
      await c.end().catch(() => undefined);
    }
    if (Date.now() > deadline) throw new Error(`postgres did not accept connections on port ${port} within 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
