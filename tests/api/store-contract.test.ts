// The API's store contract (login sessions, audit log), run against both stores: SQLite api.db
// (single mode) and a real PostgreSQL (cluster mode). What one store wrote, another store opened
// over the same data (a restarted hub, or another hub) reads the same.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ApiStore } from '../../src/api/store.js';
import { postgresBackend, sqliteBackend, stopPostgres, type Backend } from '../registry/backends.js';

afterAll(stopPostgres, 60_000);

for (const make of [sqliteBackend, postgresBackend]) {
  describe(`api store contract: ${make().name}`, () => {
    let backend: Backend;
    const open: ApiStore[] = [];
    const fresh = async (): Promise<ApiStore> => {
      const s = await backend.apiStore();
      open.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
      await backend.cleanup();
    });

    it('a session is read back by another store; revoking it is seen there; a second revoke changes nothing', async () => {
      backend = make();
      const a = await fresh();
      const b = await fresh();
      await a.addSession({ tokenHash: 'h1', person: 'li', createdAt: 1_700_000_000_000, expiresAt: 1_700_043_200_000 });
      expect(await b.session('h1')).toEqual({ tokenHash: 'h1', person: 'li', createdAt: 1_700_000_000_000, expiresAt: 1_700_043_200_000, revokedAt: null });
      expect(await b.session('nope')).toBeUndefined();
      expect(await b.revokeSession('h1', 1_700_000_001_000)).toBe(true);
      expect(await b.revokeSession('h1', 1_700_000_002_000)).toBe(false);
      expect((await a.session('h1'))?.revokedAt).toBe(1_700_000_001_000);
    }, 60_000);

    it('revoking a person ends only their live sessions and names them; pruning forgets only the long expired', async () => {
      backend = make();
      const a = await fresh();
      await a.addSession({ tokenHash: 'li-1', person: 'li', createdAt: 10, expiresAt: 1000 });
      await a.addSession({ tokenHash: 'li-2', person: 'li', createdAt: 20, expiresAt: 1000 });
      await a.addSession({ tokenHash: 'li-old', person: 'li', createdAt: 5, expiresAt: 50 });
      await a.addSession({ tokenHash: 'wang-1', person: 'wang', createdAt: 30, expiresAt: 1000 });
      await a.revokeSession('li-old', 40);
      expect((await a.revokePersonSessions('li', 100)).sort()).toEqual(['li-1', 'li-2']);
      expect(await a.revokePersonSessions('li', 200)).toEqual([]);
      expect((await a.session('wang-1'))?.revokedAt).toBeNull();
      expect((await a.session('li-old'))?.revokedAt).toBe(40);
      expect(await a.pruneSessions(60)).toBe(1);
      expect(await a.session('li-old')).toBeUndefined();
      expect(await a.session('li-1')).toBeDefined();
    }, 60_000);

    it('the audit log is newest first, filtered by time and actor, limited; details come back as written', async () => {
      backend = make();
      const a = await fresh();
      for (let i = 1; i <= 5; i++) await a.audit({ ts: i * 100, actor: i % 2 ? 'root' : 'li', action: 'device.add', target: `device:gas-${i}`, details: { building: '2号楼', n: i, ip: '127.0.0.1' } });
      const b = await fresh();
      const all = await b.listAudit();
      expect(all.map((e) => e.target)).toEqual(['device:gas-5', 'device:gas-4', 'device:gas-3', 'device:gas-2', 'device:gas-1']);
      expect(all[0]).toMatchObject({ ts: 500, actor: 'root', action: 'device.add', details: { building: '2号楼', n: 5, ip: '127.0.0.1' } });
      expect(typeof all[0]?.id).toBe('number');
      expect((await b.listAudit({ from: 200, to: 400 })).map((e) => e.ts)).toEqual([400, 300, 200]);
      expect((await b.listAudit({ actor: 'li' })).map((e) => e.ts)).toEqual([400, 200]);
      expect((await b.listAudit({ limit: 2 })).map((e) => e.ts)).toEqual([500, 400]);
    }, 60_000);
  });
}
