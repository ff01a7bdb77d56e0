import { afterEach, describe, expect, it } from 'vitest';
import { GridwatchError } from '../../src/core/errors.js';
import { applyTransition, runEscalations } from '../../src/alerts/flow.js';
import { type Harness, makeHarness, transition } from './harness.js';

let h: Harness;
afterEach(async () => h?.cleanup());

const actions = async (id: string): Promise<string[]> => (await h.cases.get(id))?.ledger.map((e) => e.action) ?? [];

describe('alert cases on a real SQLite file', () => {
  it('a raise opens one critical case, notifies the grid worker and records it', async () => {
    h = makeHarness();
    const c = await applyTransition(h.cases, transition('gas-critical', 'raise'));
    expect(c).toMatchObject({ state: 'open', severity: 'critical', rule: 'gas-critical', device: 'gas-1', grid: 'g1', escalationStep: 0, assignee: 'hantao' });
    expect(await actions(c!.id)).toEqual(['opened', 'escalated']);
    expect(h.notes).toHaveLength(1);
    expect(h.notes[0]).toMatchObject({ reason: 'opened', step: 0, recipients: [{ id: 'hantao' }] });
    // a second raise (e.g. after a restart) does not open a second case
    await applyTransition(h.cases, transition('gas-critical', 'raise'));
    expect(await h.cases.list({ state: ['open'] })).toHaveLength(1);
    expect(h.changes.map((x) => x.entry.action)).toEqual(['opened', 'escalated']);
    expect(h.points.map((p) => [p.measurement, p.fields.action, p.tags.rule])).toEqual([['alert', 'opened', 'gas-critical'], ['alert', 'escalated', 'gas-critical']]);
  });

  it('escalates on schedule to the grid leader and the street duty room; an acknowledgement stops it at once', async () => {
    h = makeHarness();
    const c = (await applyTransition(h.cases, transition('gas-critical', 'raise')))!;
    h.clock.advance(119_000);
    await runEscalations(h.cases, h.clock.now());
    expect(h.notes).toHaveLength(1);
    h.clock.advance(1000);
    await runEscalations(h.cases, h.clock.now());
    expect(h.notes.map((n) => [n.reason, n.step, n.recipients.map((p) => p.id)])).toEqual([['opened', 0, ['hantao']], ['escalated', 1, ['lead']]]);
    await h.cases.acknowledge(c.id, 'hantao', '到场处理');
    expect(await h.store.pendingEscalations(c.id)).toEqual([]);
    h.clock.advance(600_000);
    await runEscalations(h.cases, h.clock.now());
    expect(h.notes).toHaveLength(2);
    expect((await h.cases.get(c.id))?.case).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'hantao', escalationStep: 1 });
  });

  it('clear resolves; close needs a note; invalid transitions and unknown ids throw typed errors', async () => {
    h = makeHarness();
    const c = (await applyTransition(h.cases, transition('gas-warning', 'raise')))!;
    await expect(h.cases.close(c.id, 'hantao', 'x')).rejects.toThrow(/cannot close/);
    await applyTransition(h.cases, transition('gas-warning', 'clear'));
    expect((await h.cases.get(c.id))?.case.state).toBe('resolved');
    expect(await h.store.pendingEscalations(c.id)).toEqual([]);
    await expect(h.cases.close(c.id, 'hantao', '  ')).rejects.toThrow(GridwatchError);
    await expect(h.cases.acknowledge(c.id, 'hantao')).rejects.toThrow(expect.objectContaining({ code: 'GW_ERR_ALERT_TRANSITION' }));
    const closed = await h.cases.close(c.id, 'hantao', '厨房灶具漏气，已关阀并通知燃气公司');
    expect(closed).toMatchObject({ state: 'closed', closeNote: '厨房灶具漏气，已关阀并通知燃气公司' });
    await expect(h.cases.acknowledge('nope', 'x')).rejects.toThrow(expect.objectContaining({ code: 'GW_ERR_ALERT_NOT_FOUND' }));
    expect(await actions(c.id)).toEqual(['opened', 'escalated', 'resolved', 'closed']);
  });

  it('re-opens a resolved case when the condition returns within reopenWithin, else opens a new one', async () => {
    h = makeHarness();
    const c = (await applyTransition(h.cases, transition('gas-warning', 'raise')))!;
    await applyTransition(h.cases, transition('gas-warning', 'clear'));
    h.clock.advance(20 * 60_000);
    const again = (await applyTransition(h.cases, transition('gas-warning', 'raise')))!;
    expect(again.id).toBe(c.id);
    expect(again).toMatchObject({ state: 'open', reopenedAt: h.clock.now(), escalationStep: 0 });
    expect(h.notes.at(-1)?.reason).toBe('reopened');
    await applyTransition(h.cases, transition('gas-warning', 'clear'));
    h.clock.advance(31 * 60_000);
    const fresh = (await applyTransition(h.cases, transition('gas-warning', 'raise')))!;
    expect(fresh.id).not.toBe(c.id);
    expect(await actions(c.id)).toEqual(['opened', 'escalated', 'resolved', 'reopened', 'escalated', 'resolved']);
  });

  it('a silenced device gets a case with a ledger but no notification or escalation', async () => {
    h = makeHarness();
    const now = h.clock.now();
    const s = await h.cases.addSilence({ scope: { building: 'b1' }, from: now - 1000, until: now + 3_600_000, author: 'admin', reason: '燃气管道检修' });
    const c = (await applyTransition(h.cases, transition('gas-critical', 'raise')))!;
    expect(await actions(c.id)).toEqual(['opened', 'silenced']);
    expect(h.notes).toEqual([]);
    h.clock.advance(600_000);
    await runEscalations(h.cases, h.clock.now());
    expect(h.notes).toEqual([]);
    expect((await h.cases.listSilences()).map((x) => x.id)).toEqual([s.id]);
    await h.cases.removeSilence(s.id, 'admin');
    expect(await h.cases.listSilences()).toEqual([]);
    await expect(h.cases.addSilence({ scope: {}, from: 0, until: 1, author: 'a' })).rejects.toThrow(/scope/);
  });

  it('a silence added after opening mutes the remaining escalation steps', async () => {
    h = makeHarness();
    const c = (await applyTransition(h.cases, transition('gas-critical', 'raise')))!;
    await h.cases.addSilence({ scope: { device: 'gas-1' }, from: h.clock.now(), until: h.clock.now() + 3_600_000, author: 'lead' });
    h.clock.advance(600_000);
    await runEscalations(h.cases, h.clock.now());
    expect(h.notes).toHaveLength(1);
    expect(await actions(c.id)).toEqual(['opened', 'escalated', 'silenced', 'silenced']);
  });

  it('survives closing the database mid-way: pending escalations resume, no duplicates', async () => {
    h = makeHarness();
    const c = (await applyTransition(h.cases, transition('gas-critical', 'raise')))!;
    expect((await h.store.pendingEscalations(c.id)).map((p) => p.step)).toEqual([1, 2]);
    h = await h.reopen(); // a new process on the same file
    expect((await h.cases.list({ state: ['open'] })).map((x) => x.id)).toEqual([c.id]);
    h.clock.advance(10 * 60_000); // the hub was down past both deadlines
    await runEscalations(h.cases, h.clock.now());
    expect(h.notes.map((n) => n.step)).toEqual([1, 2]);
    await runEscalations(h.cases, h.clock.now());
    expect(h.notes).toHaveLength(2);
    expect(await actions(c.id)).toEqual(['opened', 'escalated', 'escalated', 'escalated']);
    await applyTransition(h.cases, transition('gas-critical', 'raise'));
    expect(await h.cases.list({})).toHaveLength(1);
  });

  it('nobody in the grid: goes up the chain and records no_one_on_duty', async () => {
    h = makeHarness({ people: [{ id: 'duty', name: '值班室', role: 'street', grids: [] }] });
    const c = (await applyTransition(h.cases, transition('gas-critical', 'raise')))!;
    expect(await actions(c.id)).toEqual(['opened', 'no_one_on_duty', 'escalated']);
    expect(h.notes[0]).toMatchObject({ recipients: [{ id: 'duty' }], fallback: true });
  });

  it('comment, reassign, markSeen and list filters', async () => {
    h = makeHarness();
    const c = (await applyTransition(h.cases, transition('gas-warning', 'raise')))!;
    await h.cases.comment(c.id, 'hantao', '已电话联系住户');
    expect((await h.cases.reassign(c.id, 'hantao', 'lead')).assignee).toBe('lead');
    expect(h.notes.at(-1)).toMatchObject({ reason: 'reassigned', recipients: [{ id: 'lead' }] });
    await expect(h.cases.reassign(c.id, 'hantao', 'ghost')).rejects.toThrow(/person/);
    await h.cases.markSeen(c.id, 'lead');
    expect((await actions(c.id)).slice(2)).toEqual(['commented', 'reassigned', 'seen']);
    expect(await h.cases.list({ severity: ['critical'] })).toEqual([]);
    expect(await h.cases.list({ grids: ['g1'], state: ['open'] })).toHaveLength(1);
    expect(await h.cases.list({ grids: ['g2'] })).toEqual([]);
  });

  it('closeValve: a gas critical case closes the unit valve and records the device ack', async () => {
    h = makeHarness({ units: [
      { id: 'gas-1', kind: 'gas', building: 'b1', unit: '1单元101' },
      { id: 'valve-1', kind: 'gas', building: 'b1', unit: '1单元101', valve: true },
      { id: 'gas-2', kind: 'gas', building: 'b1', unit: '1单元102' },
    ] });
    const c = (await applyTransition(h.cases, transition('gas-critical', 'raise')))!;
    expect(h.commands.map((x) => x.device)).toEqual(['valve-1']);
    const cmd = h.commands[0]!.payload;
    expect(cmd).toMatchObject({ cmd: 'valve', state: 'closed' });
    expect(typeof cmd.id).toBe('string');
    const { recordAck } = await import('../../src/alerts/actions.js');
    expect(await recordAck(h.cases, { device: 'valve-1', id: String(cmd.id), ok: true, ts: h.clock.now() })).toBe(true);
    expect(await recordAck(h.cases, { device: 'gas-2', id: String(cmd.id), ok: true, ts: h.clock.now() })).toBe(false);
    const ledger = (await h.cases.get(c.id))!.ledger;
    expect(ledger.map((e) => e.action)).toContain('command_sent');
    expect(ledger.find((e) => e.action === 'command_ack')).toMatchObject({ actor: 'valve-1', data: { ok: true } });
  });

  it('siren: the case device gets a siren command, recorded on the ledger', async () => {
    h = makeHarness();
    const t = transition('gas-warning', 'raise');
    const c = (await applyTransition(h.cases, { ...t, rule: { ...t.rule, id: 'gas-siren', actions: ['siren'] } }))!;
    expect(h.commands).toEqual([{ device: 'gas-1', payload: { id: expect.any(String), cmd: 'siren', on: true } }]);
    expect(await actions(c.id)).toContain('command_sent');
  });
});
