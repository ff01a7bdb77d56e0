// Rule actions, sent before the case is written (act at once): `siren` sends `{"id","cmd":"siren","on":true}` to the case's device; `closeValve` sends `{"id","cmd":"valve","state":"closed"}` to the gas valve
// device(s) of the same unit (same building and unit, kind gas, or config `valve: true`), records
// `command_sent`; the device's cmd/ack arrives as `command_ack` (recordAck). The sender re-sends an
// unconfirmed command (`command_retried` each time) and gives up with `command_unconfirmed`. A
// command outlives the process that sent it: a new rules leader (cluster mode) or the hub's next
// start (single mode) re-sends what has no outcome yet (resumeCommands).
import { randomUUID } from 'node:crypto';
import type { AlertCase } from '../core/alert-types.js';
import type { CommandAck } from '../core/events.js';
import { GridwatchError } from '../core/errors.js';
import type { RuleSpec } from '../core/rule-spec.js';
import { isActive } from './lifecycle.js';
import type { AlertCases } from './service.js';
import type { CaseOps, NewLedgerEntry } from './store.js';

export interface UnitDevice { id: string; kind: string; building: string; unit?: string; valve?: boolean }

/**
 * The valve devices of a case's unit: devices marked `valve: true` in the same building and unit;
 * if none is marked, the unit's gas devices (a case without a unit: its own device).
 */
export function unitValves(devices: Iterable<UnitDevice>, c: Pick<AlertCase, 'building' | 'unit' | 'device'>): string[] {
  const marked: string[] = [];
  const gas: string[] = [];
  for (const d of devices) {
    if (d.building !== c.building) continue;
    if (c.unit === undefined ? d.id !== c.device : d.unit !== c.unit) continue;
    if (d.valve === true) marked.push(d.id);
    else if (d.kind === 'gas') gas.push(d.id);
  }
  return marked.length > 0 ? marked : gas;
}

/** A command sent for a case's rule action, to be recorded in the case's commit (`sentEntries`, `saveCommands`). */
export interface SentCommand { id: string; device: string; payload: Record<string, unknown> & { id: string } }

/**
 * ACT AT ONCE: sends the rule's commands now, before the case that asks for them is written (a
 * slow or failing case store does not keep a valve open); the case's commit then records them on case
 * `c` (its id must be the one the case is stored under). The caller holds the service's
 * `exclusive`, so a device's cmd/ack is recorded only after its command is. Cluster mode: a leader
 * that dies before recording them leaves the reading unacknowledged on the rules stream, and the
 * next leader acts on it again (a second close is harmless).
 */
export function sendActions(svc: AlertCases, c: AlertCase, actions: NonNullable<RuleSpec['actions']>): SentCommand[] {
  const sent: SentCommand[] = [];
  for (const action of actions) {
    // closeValve: the unit's valve(s); siren: the device that raised the case
    const targets = action === 'closeValve' ? unitValves(svc.deps.unitDevices(), c) : [c.device];
    for (const device of targets) {
      const id = randomUUID();
      const payload = action === 'closeValve' ? { id, cmd: 'valve', state: 'closed' } : { id, cmd: 'siren', on: true };
      dispatch(svc, c.id, device, payload, 1);
      sent.push({ id, device, payload });
    }
  }
  return sent;
}

/**
 * What records the commands `sendActions` sent for a case, IN the case's own commit: `command_sent`
 * entries, and `saveCommands` in the commit's `before`. A case is never stored without the commands
 * it sent, so a start or a new leader after a kill -9 finds them to re-send (`resumeCommands`).
 */
export function sentEntries(sent: readonly SentCommand[]): Omit<NewLedgerEntry, 'caseId' | 'ts'>[] {
  return sent.map(({ device, payload }) => ({ actor: 'system', action: 'command_sent', data: { device, command: payload } }));
}

export async function saveCommands(s: CaseOps, caseId: string, sent: readonly SentCommand[], now: number): Promise<void> {
  for (const { id, device } of sent) await s.saveCommand(id, caseId, device, now);
}

/**
 * Sends a command and follows it up: done only on the device's cmd/ack (recorded by
 * recordAck); each re-send and a final "not confirmed" go on the ledger so the case shows the valve
 * may still be open. `sends`: how many sends the ledger already shows. With `svc.handOver` (cluster
 * mode, and single mode since a restart resumes commands too) a command handed over (this hub
 * stopped leading, or its broker closed on shutdown) records nothing: the next leader, or the next
 * start, re-sends it (resumeCommands). Every process gets the full `commandAttempts` for it (a hub
 * that was down is not the device's silence); the sends recorded count across them.
 */
function dispatch(svc: AlertCases, caseId: string, device: string, payload: Record<string, unknown> & { id: string }, sends: number): void {
  const id = payload.id;
  const handOver = svc.handOver;
  const onResend = (send: number, reason: string): void => {
    svc.record(caseId, 'command_retried', { device, commandId: id, send: sends - 1 + send, reason }).catch(() => {
      /* the case may be gone only if the db closed; nothing more to do */
    });
  };
  svc.commandsInFlight.add(id);
  svc.deps.sendCommand(device, payload, { onResend, ...(handOver ? { signal: handOver } : {}) }).catch((e: unknown) => {
    const unconfirmed = e instanceof GridwatchError && e.code === 'GW_ERR_COMMAND_UNCONFIRMED';
    if (handOver && (handOver.aborted || (unconfirmed && e.details.closed === true))) {
      svc.deps.logger.info({ device, caseId, commandId: id }, 'command handed over: the next leader or the next start sends it again');
      return;
    }
    svc.deps.logger.error({ err: e, device, caseId, commandId: id }, 'command not confirmed');
    if (unconfirmed) void giveUp(svc, caseId, device, id, 'command_unconfirmed', { sends: sends - 1 + Number(e.details.sends), error: e.message });
    else void giveUp(svc, caseId, device, id, 'delivery_failed', { error: String(e) });
  }).finally(() => svc.commandsInFlight.delete(id));
}

/**
 * Giving up on a sent command is the sender's decision. With `svc.handOver`: a leader write (fenced
 * in cluster mode: a hub that lost the lease while frozen records nothing), in the service's
 * `exclusive` (the caller does not hold it), and not once the device's ack is on the ledger (the
 * leader recorded it from the stream, or it came in before a restart's resume). Never rejects.
 */
async function giveUp(svc: AlertCases, caseId: string, device: string, id: string, action: 'command_unconfirmed' | 'delivery_failed', data: Record<string, unknown>): Promise<void> {
  const entry = { device, commandId: id, ...data };
  try {
    if (!svc.handOver) {
      await svc.record(caseId, action, entry);
      return;
    }
    await svc.exclusive(() => svc.retrying(async () => {
      if (await acked(svc, caseId, id)) return;
      await svc.append(caseId, action, entry, 'system', undefined, { leader: true });
    }));
  } catch (e) {
    svc.deps.logger.warn({ err: e, device, caseId, commandId: id }, `${action} not recorded`);
  }
}

async function acked(svc: AlertCases, caseId: string, commandId: string): Promise<boolean> {
  return (await svc.get(caseId))?.ledger.some((e) => e.action === 'command_ack' && e.data?.commandId === commandId) === true;
}

/**
 * The commands sent before that no device confirmed and nobody gave up on go out again, with the
 * same id, so the device's ack (to either send) settles the one command; each is recorded as a
 * re-send (`command_retried`, `reason`). Cluster mode: on taking the lead (`takeover`: the last
 * leader died or stood down before the ack). Single mode: at start (`restart`: the hub was stopped
 * or killed before the ack). A command this process is already sending is left alone; one whose
 * device was decommissioned since cannot be delivered: it is given up (`command_unconfirmed`,
 * reason `decommissioned`), so the case shows the valve may still be open and no later leader or
 * start looks at it again; nor is one whose case was resolved or closed since (reason `case_ended`).
 * The caller does not hold the service's `exclusive`. Returns how many
 * were sent again.
 */
export async function resumeCommands(svc: AlertCases, isDevice: (id: string) => boolean, reason: 'takeover' | 'restart' = 'takeover'): Promise<number> {
  let resumed = 0;
  for (const u of await svc.deps.store.unsettledCommands()) {
    if (svc.commandsInFlight.has(u.id)) continue;
    if (!svc.handOver || svc.handOver.aborted) break; // stood down meanwhile: the next leader does it
    if (!isDevice(u.device)) {
      await giveUp(svc, u.caseId, u.device, u.id, 'command_unconfirmed', { sends: u.sends, reason: 'decommissioned', error: `command ${u.id} to ${u.device} not confirmed: the device was decommissioned` });
      continue;
    }
    // a case resolved or closed since: its valve or siren must not act again (weeks later, after a long outage)
    const state = (await svc.get(u.caseId))?.case.state;
    if (state === undefined || !isActive(state)) {
      await giveUp(svc, u.caseId, u.device, u.id, 'command_unconfirmed', { sends: u.sends, reason: 'case_ended', error: `command ${u.id} to ${u.device} not confirmed: its case is ${state ?? 'gone'}` });
      continue;
    }
    svc.record(u.caseId, 'command_retried', { device: u.device, commandId: u.id, send: u.sends + 1, reason }).catch((e: unknown) => {
      svc.deps.logger.warn({ err: e, commandId: u.id }, 'command re-send not recorded');
    });
    dispatch(svc, u.caseId, u.device, { ...u.command, id: u.id }, u.sends + 1);
    resumed++;
  }
  return resumed;
}

/**
 * A cmd/ack from a device: recorded on the case that sent the command (once: a re-sent command may
 * be acked twice). The caller holds the service's `exclusive`. Not fenced: the ack is a fact.
 */
export async function recordAck(svc: AlertCases, ack: CommandAck): Promise<boolean> {
  const cmd = await svc.deps.store.commandCase(ack.id);
  if (!cmd || cmd.device !== ack.device) return false;
  return svc.retrying(async () => {
    if ((await svc.get(cmd.caseId))?.ledger.some((e) => e.action === 'command_ack' && e.data?.commandId === ack.id)) return false;
    await svc.append(cmd.caseId, 'command_ack', { commandId: ack.id, ok: ack.ok, ...(ack.detail ? { detail: ack.detail } : {}) }, ack.device);
    return true;
  });
}
