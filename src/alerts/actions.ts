// Rule actions: `siren` sends `{"id","cmd":"siren","on":true}` to the case's device; `closeValve` sends `{"id","cmd":"valve","state":"closed"}` to the gas valve
// device(s) of the same unit (same building and unit, kind gas, or config `valve: true`), records
// `command_sent`; the device's cmd/ack arrives as `command_ack` (recordAck). The sender re-sends an
// unconfirmed command (`command_retried` each time) and gives up with `command_unconfirmed`. In
// cluster mode a command outlives its sender: a new rules leader re-sends what has no outcome yet
// (resumeCommands).
import { randomUUID } from 'node:crypto';
import type { AlertCase } from '../core/alert-types.js';
import type { CommandAck } from '../core/events.js';
import { GridwatchError } from '../core/errors.js';
import type { RuleSpec } from '../core/rule-spec.js';
import type { AlertCases } from './service.js';

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

/** The caller holds the service's `exclusive`; the sent command is stored with its ledger entry (a leader write). */
export async function runActions(svc: AlertCases, c: AlertCase, actions: NonNullable<RuleSpec['actions']>): Promise<void> {
  for (const action of actions) {
    // closeValve: the unit's valve(s); siren: the device that raised the case
    const targets = action === 'closeValve' ? unitValves(svc.deps.unitDevices(), c) : [c.device];
    for (const device of targets) {
      const id = randomUUID();
      const payload = action === 'closeValve' ? { id, cmd: 'valve', state: 'closed' } : { id, cmd: 'siren', on: true };
      await svc.retrying(() => svc.append(c.id, 'command_sent', { device, command: payload }, 'system', undefined, {
        leader: true, before: (s) => s.saveCommand(id, c.id, device, svc.now()),
      }));
      dispatch(svc, c.id, device, payload, 1);
    }
  }
}

/**
 * Sends a recorded command and follows it up: done only on the device's cmd/ack (recorded by
 * recordAck); each re-send and a final "not confirmed" go on the ledger so the case shows the valve
 * may still be open. `sends`: how many sends the ledger already shows. Cluster mode: a command
 * handed over (this hub stopped leading, or its broker closed) records nothing: the next leader
 * re-sends it (resumeCommands).
 */
function dispatch(svc: AlertCases, caseId: string, device: string, payload: Record<string, unknown> & { id: string }, sends: number): void {
  const id = payload.id;
  const handOver = svc.handOver;
  const log = (action: 'command_retried' | 'command_unconfirmed' | 'delivery_failed', data: Record<string, unknown>): void => {
    svc.record(caseId, action, { device, commandId: id, ...data }).catch(() => {
      /* the case may be gone only if the db closed; nothing more to do */
    });
  };
  const onResend = (send: number, reason: string): void => log('command_retried', { send: sends - 1 + send, reason });
  // giving up is the sender's decision. Cluster mode: a leader's (fenced: a hub that lost the lease
  // while frozen records nothing), and not once the leader recorded the device's ack from the stream
  const giveUp = (action: 'command_unconfirmed' | 'delivery_failed', data: Record<string, unknown>): void => {
    if (!handOver) return log(action, data);
    svc.exclusive(() => svc.retrying(async () => {
      if (await acked(svc, caseId, id)) return;
      await svc.append(caseId, action, { device, commandId: id, ...data }, 'system', undefined, { leader: true });
    })).catch((e: unknown) => svc.deps.logger.warn({ err: e, device, caseId, commandId: id }, `${action} not recorded`));
  };
  svc.commandsInFlight.add(id);
  svc.deps.sendCommand(device, payload, { onResend, ...(handOver ? { signal: handOver } : {}) }).catch((e: unknown) => {
    const unconfirmed = e instanceof GridwatchError && e.code === 'GW_ERR_COMMAND_UNCONFIRMED';
    if (handOver && (handOver.aborted || (unconfirmed && e.details.closed === true))) return;
    svc.deps.logger.error({ err: e, device, caseId, commandId: id }, 'command not confirmed');
    if (unconfirmed) giveUp('command_unconfirmed', { sends: sends - 1 + Number(e.details.sends), error: e.message });
    else giveUp('delivery_failed', { error: String(e) });
  }).finally(() => svc.commandsInFlight.delete(id));
}

async function acked(svc: AlertCases, caseId: string, commandId: string): Promise<boolean> {
  return (await svc.get(caseId))?.ledger.some((e) => e.action === 'command_ack' && e.data?.commandId === commandId) === true;
}

/**
 * Cluster mode, on taking the lead: the commands a previous leader sent that no device confirmed
 * and nobody gave up on (its hub died or stood down before the ack) go out again, with the same id,
 * so the device's ack (to either send) settles the one command. Each is recorded as a re-send
 * (`command_retried`, reason `takeover`). A command this process is already sending, or whose
 * device was decommissioned since, is left alone. Returns how many were sent again.
 */
export async function resumeCommands(svc: AlertCases, isDevice: (id: string) => boolean): Promise<number> {
  let resumed = 0;
  for (const u of await svc.deps.store.unsettledCommands()) {
    if (svc.commandsInFlight.has(u.id) || !isDevice(u.device)) continue;
    if (!svc.handOver || svc.handOver.aborted) break; // stood down meanwhile: the next leader does it
    svc.record(u.caseId, 'command_retried', { device: u.device, commandId: u.id, send: u.sends + 1, reason: 'takeover' }).catch((e: unknown) => {
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
