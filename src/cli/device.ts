// `gridwatch device add`: registers a device in the YAML config (keeping its comments and layout,
// via the `yaml` Document API) with a fresh secret, stored only as its scrypt hash; the secret is
// printed once.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { isMap, isSeq, parseDocument, type Document } from 'yaml';
import type { KindName } from '../core/domain.js';
import { GridwatchError } from '../core/errors.js';
import { hashSecret, newSecret } from '../core/secret.js';
import { parseConfig } from '../config/index.js';
import { KIND_NAMES, KINDS } from '../kinds/index.js';
import { configOption, configPath } from './options.js';


export interface DeviceAddInput {
  id: string;
  kind: string;
  building: string;
  unit?: string;
  intervalS?: number;
}

/** Adds the device to the YAML text; returns the new text and the fresh secret. Validates the result. */
export async function addDevice(text: string, file: string, input: DeviceAddInput): Promise<{ text: string; secret: string }> {
  if (!(KIND_NAMES as readonly string[]).includes(input.kind)) {
    throw new GridwatchError('GW_ERR_CLI_USAGE', `--kind ${JSON.stringify(input.kind)} is not a sensor kind; allowed: ${KIND_NAMES.join(' | ')}`);
  }
  const doc: Document = parseDocument(text);
  if (doc.errors.length > 0) throw new GridwatchError('GW_ERR_CONFIG_PARSE', `${file}: not valid YAML: ${doc.errors[0]?.message ?? ''}`, { details: { file } });
  if (!isMap(doc.contents)) throw new GridwatchError('GW_ERR_CONFIG_INVALID', `${file}: the config must be a YAML mapping`, { details: { file } });
  const secret = newSecret();
  const device: Record<string, unknown> = { id: input.id, kind: input.kind, building: input.building };
  if (input.unit !== undefined) device.unit = input.unit;
  device.intervalS = input.intervalS ?? KINDS[input.kind as KindName].defaultIntervalS;
  device.secretHash = await hashSecret(secret);
  const node = doc.createNode(device, { flow: true });
  const devices = doc.get('devices', true);
  if (isSeq(devices)) devices.add(node);
  else doc.set('devices', doc.createNode([device]));
  // the whole file must still be valid (unknown building, duplicate id, bad id pattern, ...)
  parseConfig(doc.toJS(), file, { env: {} });
  return { text: doc.toString(), secret };
}

export function register(program: Command): void {
  const device = program.command('device').description('manage devices in the config file');
  device
    .command('add')
    .description('register a device with a fresh secret (printed once) in the config file')
    .addOption(configOption())
    .requiredOption('--id <id>', 'device id (= MQTT client id and username)')
    .requiredOption('--kind <kind>', `sensor kind: ${KIND_NAMES.join(' | ')}`)
    .requiredOption('--building <id>', 'building id from the site tree')
    .option('--unit <unit>', 'unit / room, e.g. 1单元101')
    .option('--interval <s>', 'report interval in seconds', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new GridwatchError('GW_ERR_CLI_USAGE', `--interval ${JSON.stringify(v)} must be a whole number of seconds >= 1`);
      return n;
    })
    .action(async (opts: { config?: string; id: string; kind: string; building: string; unit?: string; interval?: number }) => {
      const file = configPath(opts.config);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        throw new GridwatchError('GW_ERR_CONFIG_READ', `${file}: cannot read the config file (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { details: { file } });
      }
      const out = await addDevice(text, file, { id: opts.id, kind: opts.kind, building: opts.building, unit: opts.unit, intervalS: opts.interval });
      const tmp = `${file}.tmp-${process.pid}`;
      // the config holds secret hashes and people: written owner-only (0600), like api.db
      writeFileSync(tmp, out.text, { mode: 0o600 });
      renameSync(tmp, file);
      process.stdout.write(`device ${opts.id} added to ${file}\nsecret: ${out.secret}\n(shown once: put it in the device; the config keeps only its hash)\n`);
    });
}
