// Language choice: Chinese by default, English on request; the choice persists in localStorage.
import { en } from './en.js';
import type { Lang } from './lang.js';
import { zh, type MessageKey } from './zh.js';

export type { Lang, MessageKey };

const STORAGE_KEY = 'gw.lang';
const dictionaries: Record<Lang, Record<MessageKey, string>> = { zh, en };
let current: Lang = readStored() ?? 'zh';

function readStored(): Lang | undefined {
  try {
    const v = globalThis.localStorage?.getItem(STORAGE_KEY);
    return v === 'en' || v === 'zh' ? v : undefined;
  } catch {
    return undefined;
  }
}

export function lang(): Lang {
  return current;
}

/** true when the user picked a language on this browser (then the account default is ignored) */
export function hasStoredLang(): boolean {
  return readStored() !== undefined;
}

export function setLang(next: Lang, persist = true): void {
  current = next;
  if (persist) globalThis.localStorage?.setItem(STORAGE_KEY, next);
  if (typeof document !== 'undefined') document.documentElement.lang = next === 'zh' ? 'zh-CN' : 'en';
}

export function t(key: MessageKey): string {
  return dictionaries[current][key];
}

/** a key built from data (a state, a severity...); falls back to the raw value when unknown */
export function tx(prefix: string, value: string): string {
  const key = `${prefix}.${value}`;
  return key in zh ? dictionaries[current][key as MessageKey] : value;
}

/** a message with {name} placeholders filled in */
export function tf(key: MessageKey, vars: Record<string, string | number>): string {
  return t(key).replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}
