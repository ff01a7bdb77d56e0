// Rule actions: `siren` sends `{"id","cmd":"siren","on":true}` to the case's device; `closeValve` sends `{"id","cmd":"valve","state":"closed"}` to the gas valve
// device(s) of the same unit (same building and unit, kind gas, or config `valve: true`), records
// `command_sent`; the device's cmd/ack arrives as `command_ack` (recordAck). The sender re-sends an
// unconfirmed command (`command_retried` each time) and gives up with `command_unconfirmed`.
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
      // done only on the device's cmd/ack (recorded by recordAck); each re-send and a final "not
      // confirmed" go on the ledger so the case shows the valve may still be open
      const log = (action: 'command_retried' | 'command_unconfirmed' | 'delivery_failed', data: Record<string, unknown>): void => {
        svc.record(c.id, action, { device, commandId: id, ...data }).catch(() => {
          /* the case may be gone only if the db closed; nothing more to do */
        });
      };
      const onResend = (send: number, reason: string): void => log('command_retried', { send, reason });
      svc.deps.sendCommand(device, payload, { onResend }).catch((e: unknown) => {
        svc.deps.logger.error({ err: e, device, caseId: c.id, action }, 'command not confirmed');
        if (e instanceof GridwatchError && e.code === 'GW_ERR_COMMAND_UNCONFIRMED') log('command_unconfirmed', { sends: e.details.sends, error: e.message });
        else log('delivery_failed', { error: String(e) });
      });
    }
  }
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
