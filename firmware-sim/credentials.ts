// Device credentials for the simulator, and `gridwatch demo init`: a copy of the example config
// with FRESH secrets (new scrypt hashes for every device and person), the devices' plaintext
// secrets in a 0600 file (a device's own credential store, never in the repo), the demo logins.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isSeq, parseDocument } from 'yaml';
import { GridwatchError, formatValue } from '../src/core/errors.js';
import { hashSecret, newSecret } from '../src/core/secret.js';

export const SECRETS_FILE = 'device-secrets.json';
export const LOGINS_FILE = 'demo-logins.json';
export const CONFIG_FILE = 'gridwatch.yaml';

export interface DemoLogin {
  id: string;
  name: string;
  role: string;
  password: string;
}

export interface DemoInitResult {
  configFile: string;
  secretsFile: string;
  loginsFile: string;
  devices: number;
  logins: DemoLogin[];
}

/** Reads a device-secrets file: a JSON object of device id -> plaintext secret. */
export function readSecrets(file: string): Record<string, string> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new GridwatchError('GW_ERR_CLI_USAGE', `${file}: cannot read the device secrets file (${(e as Error).message}); run \`gridwatch demo init --out DIR\` or pass --secrets FILE`, { details: { file } });
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new GridwatchError('GW_ERR_CLI_USAGE', `${file}: value ${formatValue(raw)} breaks rule: must be a JSON object of device id -> secret`, { details: { file } });
  }
  const out: Record<string, string> = {};
  for (const [id, secret] of Object.entries(raw)) {
    if (typeof secret !== 'string') {
      throw new GridwatchError('GW_ERR_CLI_USAGE', `${file}: field '${id}' value ${formatValue(secret)} breaks rule: a secret must be a string`, { details: { file, field: id } });
    }
    out[id] = secret;
  }
  return out;
}

function writePrivate(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600); // an existing file keeps its old mode on write
}

/** Hash params for demo secrets: the defaults unless a caller (a test, the bench) wants cheaper ones. */
export interface HashParams { N: number; r: number; p: number }

export async function demoInit(opts: { example: string; out: string; hashParams?: HashParams }): Promise<DemoInitResult> {
  if (!existsSync(opts.example)) {
    throw new GridwatchError('GW_ERR_CLI_USAGE', `${opts.example}: the example config is missing; it ships in the repository as examples/gridwatch.yaml`, { details: { file: opts.example } });
  }
  const doc = parseDocument(readFileSync(opts.example, 'utf8'));
  const secrets: Record<string, string> = {};
  const logins: DemoLogin[] = [];
  const jobs: Promise<void>[] = [];
  const hash = (plain: string): Promise<string> => (opts.hashParams ? hashSecret(plain, opts.hashParams) : hashSecret(plain));
  const devices = doc.get('devices');
  if (isSeq(devices)) {
    for (const item of devices.items) {
      if (!isMap(item)) continue;
      const id = item.get('id');
      if (typeof id !== 'string') continue;
      const secret = newSecret();
      secrets[id] = secret;
      jobs.push(hash(secret).then((h) => void item.set('secretHash', h)));
    }
  }
  const people = doc.get('people');
  if (isSeq(people)) {
    for (const item of people.items) {
      if (!isMap(item)) continue;
      const id = item.get('id');
      if (typeof id !== 'string') continue;
      const password = newSecret();
      logins.push({ id, name: String(item.get('name') ?? id), role: String(item.get('role') ?? ''), password });
      jobs.push(hash(password).then((h) => void item.set('passwordHash', h)));
    }
  }
  await Promise.all(jobs);
  mkdirSync(opts.out, { recursive: true });
  const configFile = join(opts.out, CONFIG_FILE);
  const secretsFile = join(opts.out, SECRETS_FILE);
  const loginsFile = join(opts.out, LOGINS_FILE);
  writeFileSync(configFile, doc.toString({ lineWidth: 0 }));
  writePrivate(secretsFile, `${JSON.stringify(secrets, null, 2)}\n`);
  writePrivate(loginsFile, `${JSON.stringify(logins, null, 2)}\n`);
  return { configFile, secretsFile, loginsFile, devices: Object.keys(secrets).length, logins };
}

export function formatLogins(logins: DemoLogin[]): string {
  return logins.map((l) => `  ${l.id.padEnd(14)} ${l.password}   ${l.role} ${l.name}`).join('\n');
}
