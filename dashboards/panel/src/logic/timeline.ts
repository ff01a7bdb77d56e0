// Every ledger entry in the user's language and in words: who (by name), what, and the facts in
// its data (the reading, the step and who was called, which command and whether the valve closed,
// override reasons). Pure: the language, a name look-up and the value formatter are passed in.
import type { Lang } from '../i18n/lang.js';
import type { LedgerEntry } from '../types.js';
import { fmtValues } from './format.js';

type Names = (id: string) => string;

const TO: Record<string, { zh: string; en: string }> = {
  grid_worker: { zh: '网格员', en: 'grid worker' }, grid_leader: { zh: '网格长', en: 'grid leader' }, street_duty: { zh: '街道值班室', en: 'street duty room' },
};
const SEV: Record<string, { zh: string; en: string }> = { critical: { zh: '紧急', en: 'critical' }, warning: { zh: '警告', en: 'warning' }, info: { zh: '提示', en: 'info' } };

function values(data: Record<string, unknown> | undefined, lang: Lang): string {
  const trig = data?.trigger as { values?: Record<string, unknown>; online?: boolean; event?: string } | undefined;
  if (trig?.values) return fmtValues(trig.values, lang);
  if (trig?.online === false) return lang === 'zh' ? '设备离线' : 'device offline';
  if (trig?.event) return trig.event;
  return '';
}

function commandWords(cmd: Record<string, unknown> | undefined, lang: Lang): string {
  if (cmd?.cmd === 'valve') return cmd.state === 'closed' ? (lang === 'zh' ? '关阀指令已下发' : 'valve close command sent') : (lang === 'zh' ? '开阀指令已下发' : 'valve open command sent');
  if (cmd?.cmd === 'siren') return lang === 'zh' ? '声光报警指令已下发' : 'siren command sent';
  return lang === 'zh' ? '指令已下发' : 'command sent';
}

export interface TimelineLine { who: string; what: string; detail: string }

/** one entry in words; `commands` maps command ids to their payloads (from earlier command_sent entries) */
export function describeEntry(e: LedgerEntry, lang: Lang, names: Names, commands: ReadonlyMap<string, Record<string, unknown>> = new Map()): TimelineLine {
  const zh = lang === 'zh';
  const d = e.data;
  const who = e.actor === 'system' ? (zh ? '系统' : 'system') : names(e.actor);
  const people = (ids: unknown): string => (Array.isArray(ids) ? ids.map((x) => names(String(x))).join('、') : '');
  const override = (d?.override as { reason?: string } | undefined)?.reason;
  const withOverride = (s: string): string => (override ? `${s}${zh ? `（条件未解除，强制处置，理由：${override}）` : ` (condition still held; override: ${override})`}` : s);
  switch (e.action) {
    case 'opened': return { who, what: zh ? '告警产生' : 'Opened', detail: values(d, lang) };
    case 'reopened': return { who, what: zh ? '再次告警，案件重新打开' : 'Re-opened', detail: values(d, lang) };
    case 'severity_raised': {
      const from = SEV[String(d?.from)]?.[lang] ?? String(d?.from);
      const to = SEV[String(d?.to)]?.[lang] ?? String(d?.to);
      return { who, what: zh ? `级别升级：${from} → ${to}` : `Severity raised: ${from} → ${to}`, detail: values(d, lang) };
    }
    case 'condition_cleared': return { who, what: zh ? '部分条件解除' : 'Part of the condition cleared', detail: `${values(d, lang)}${Array.isArray(d?.stillActive) && d.stillActive.length ? (zh ? '，仍高于警告值' : ', still above the warning level') : (zh ? '，条件已全部解除' : ', condition cleared')}` };
    case 'escalated': {
      const step = typeof d?.step === 'number' ? d.step + 1 : '?';
      const level = TO[String(d?.level ?? d?.to)]?.[lang] ?? String(d?.level ?? d?.to ?? '');
      return { who, what: zh ? `升级第${step}步：通知${level}` : `Escalation step ${step}: ${level} called`, detail: people(d?.recipients) };
    }
    case 'notified': return { who, what: zh ? '已通知' : 'Notified', detail: people(d?.recipients) };
    case 'delivery_failed': return { who, what: zh ? '通知/指令发送失败' : 'Delivery failed', detail: String(d?.error ?? d?.reason ?? '') };
    case 'no_one_on_duty': return { who, what: zh ? '无人值班，已上报' : 'Nobody on duty, passed up', detail: TO[String(d?.reached)]?.[lang] ?? '' };
    case 'acknowledged': return { who, what: zh ? '已确认' : 'Acknowledged', detail: e.note ?? '' };
    case 'resolved':
      return e.actor === 'system'
        ? { who, what: zh ? '条件解除，自动转为已处置' : 'Condition cleared: resolved', detail: values(d, lang) }
        : { who, what: withOverride(zh ? '已处置' : 'Resolved'), detail: e.note ?? '' };
    case 'closed': return { who, what: withOverride(zh ? '已销账' : 'Closed'), detail: e.note ?? '' };
    case 'commented': return { who, what: zh ? '备注' : 'Comment', detail: e.note ?? '' };
    case 'reassigned': return { who, what: zh ? `改派给 ${names(String(d?.person ?? ''))}` : `Reassigned to ${names(String(d?.person ?? ''))}`, detail: '' };
    case 'seen': return { who, what: zh ? '已查看' : 'Seen', detail: values(d, lang) };
    case 'silenced': return { who, what: zh ? '维护静默中，未通知' : 'Silenced (maintenance): nobody called', detail: '' };
    case 'command_sent': {
      const cmd = d?.command as Record<string, unknown> | undefined;
      return { who, what: commandWords(cmd, lang), detail: String(d?.device ?? '') };
    }
    case 'command_retried': return { who, what: zh ? `设备未回应，指令重发（第${String(d?.send ?? '?')}次）` : `No answer from the device: command re-sent (#${String(d?.send ?? '?')})`, detail: String(d?.device ?? '') };
    case 'command_unconfirmed': {
      const valve = commands.get(String(d?.commandId))?.cmd === 'valve';
      return { who, what: valve ? (zh ? '阀门未确认关闭 ✗ — 请上门关闭' : 'valve close NOT confirmed ✗ — close it on site') : (zh ? '设备未确认执行 ✗' : 'device did not confirm ✗'), detail: String(d?.device ?? '') };
    }
    case 'command_ack': {
      const cmd = commands.get(String(d?.commandId));
      const ok = d?.ok === true;
      const valve = cmd?.cmd === 'valve';
      const what = ok
        ? valve ? (cmd.state === 'closed' ? (zh ? '阀门已关闭 ✓' : 'valve closed ✓') : (zh ? '阀门已打开 ✓' : 'valve opened ✓')) : (zh ? '设备已执行 ✓' : 'device confirmed ✓')
        : valve ? (zh ? '关阀失败 ✗' : 'valve did NOT close ✗') : (zh ? '设备执行失败 ✗' : 'device failed ✗');
      return { who, what, detail: String(d?.detail ?? '') };
    }
  }
  return { who, what: e.action, detail: e.note ?? '' };
}

/** command ids → payloads, from the command_sent entries */
export function commandsOf(ledger: readonly LedgerEntry[]): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const e of ledger) {
    const cmd = e.data?.command as Record<string, unknown> | undefined;
    if (e.action === 'command_sent' && cmd && typeof cmd.id === 'string') out.set(cmd.id, cmd);
  }
  return out;
}

/** the valve: what the last command asked and whether the device confirmed it */
export function valveState(ledger: readonly LedgerEntry[]): 'none' | 'sent' | 'closed' | 'failed' {
  const cmds = commandsOf(ledger);
  let state: 'none' | 'sent' | 'closed' | 'failed' = 'none';
  for (const e of ledger) {
    if (e.action === 'command_sent' && (e.data?.command as { cmd?: string } | undefined)?.cmd === 'valve') state = 'sent';
    if (e.action === 'command_ack' && cmds.get(String(e.data?.commandId))?.cmd === 'valve') state = e.data?.ok === true ? 'closed' : 'failed';
    if (e.action === 'command_unconfirmed' && cmds.get(String(e.data?.commandId))?.cmd === 'valve' && state !== 'closed') state = 'failed';
  }
  return state;
}

/** what to do, per kind, on a critical case */
export const CHECKLIST: Record<string, { zh: string[]; en: string[] }> = {
  gas: { zh: ['确认燃气阀门已关闭', '开窗通风', '严禁明火，勿开关电器', '通知燃气公司，必要时拨打119'], en: ['Make sure the gas valve is closed', 'Open the windows', 'No flames; do not switch electrics', 'Call the gas company; 119 if needed'] },
  smoke: { zh: ['立即核实现场', '组织住户疏散', '拨打119', '通知物业与楼长'], en: ['Check the flat at once', 'Get residents out', 'Call 119', 'Tell property management and the building head'] },
  water: { zh: ['关闭进水总阀', '断开受影响电源', '通知物业和楼下住户'], en: ['Shut the main water valve', 'Cut power where wet', 'Tell property management and the flat below'] },
};
