// Dead letters: a notification that could not be delivered, one JSON line each in
// <dataDir>/notify/dead-letter.jsonl, for an operator to read or replay (report digests too).
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Notification } from '../core/alert-types.js';

export function deadLetterPath(dataDir: string): string {
  return join(dataDir, 'notify', 'dead-letter.jsonl');
}

export interface DeadLetter {
  ts: number;
  channel: string;
  type: string;
  caseId: string;
  step: number;
  reason: string;
  attempts: number;
  error: string;
  status?: number;
  notification: { case: Notification['case']; entry: Notification['entry']; recipients: string[] };
}

export function deadLetterOf(n: Notification, fields: Omit<DeadLetter, 'caseId' | 'step' | 'reason' | 'notification'>): DeadLetter {
  return {
    ...fields,
    caseId: n.case.id,
    step: n.step,
    reason: n.reason,
    // people by id only: phone numbers and contacts stay in the config
    notification: { case: n.case, entry: n.entry, recipients: n.recipients.map((r) => r.id) },
  };
}

/** A scheduled report digest that could not be delivered (the files stay under <dataDir>/reports/). */
export interface ReportDeadLetter {
  ts: number;
  channel: string;
  type: string;
  attempts: number;
  error: string;
  status?: number;
  report: { kind: string; period: string; files: string[] };
}

export async function appendDeadLetter(path: string, letter: DeadLetter | ReportDeadLetter): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await appendFile(path, `${JSON.stringify(letter)}\n`, 'utf8');
}
