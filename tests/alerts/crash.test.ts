// The alert store survives SIGKILL: a real child process opens cases on a real SQLite file and is
// killed mid-write; on reload every committed case is whole, none is duplicated and the escalation
// steps it had pending still fire.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runEscalations } from '../../src/alerts/flow.js';
import { makeHarness } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'gw-alerts-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('alert store under SIGKILL', () => {
  it('keeps every committed case whole and resumes its escalations', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures/crash-writer.ts'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const printed: string[] = [];
    let buf = '';
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited early: ${String(code)}`))));
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop() ?? '';
        printed.push(...lines);
        if (printed.length >= 200 && !child.killed) child.kill('SIGKILL');
      });
    });
    const h = makeHarness({ dir });
    try {
      const cases = await h.cases.list({ limit: 5000 });
      // everything the child reported as committed is there (it may have committed a few more)
      const ids = new Set(cases.map((c) => c.id));
      for (const id of printed) expect(ids.has(id)).toBe(true);
      expect(new Set(cases.map((c) => c.device)).size).toBe(cases.length); // one case per device
      for (const c of cases) expect((await h.cases.get(c.id))?.ledger[0]?.action).toBe('opened');
      await runEscalations(h.cases, h.clock.now());
      for (const c of await h.cases.list({ limit: 5000 })) {
        const steps = (await h.cases.get(c.id))?.ledger.filter((e) => e.action === 'escalated').map((e) => e.data?.step);
        expect(steps).toEqual([0]); // step 0 exactly once, even for a case killed before it fired
        expect((await h.store.pendingEscalations(c.id)).map((p) => p.step)).toEqual([1, 2]);
      }
    } finally {
      await h.store.close();
    }
  });
});
