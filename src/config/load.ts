import { readFileSync } from 'node:fs';
import { resolve, dirname, isAbsolute } from 'node:path';
import AjvModule, { type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { GridwatchError, formatValue } from '../core/errors.js';
import type { KindName } from '../core/domain.js';
import { KINDS } from '../kinds/index.js';
import { ConfigSchema, type Config } from './schema.js';
import { crossCheck } from './crosscheck.js';

// ajv and ajv-formats are CommonJS; under NodeNext their default export sits one level down.
const Ajv = AjvModule.default ?? AjvModule;
const addFormats = addFormatsModule.default ?? addFormatsModule;

const ajv = new Ajv({ allErrors: true, useDefaults: true, coerceTypes: false, strict: false });
addFormats(ajv);
const validateConfig = ajv.compile<Config>(ConfigSchema);

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
}

export function loadConfigFile(file: string, opts: LoadOptions = {}): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new GridwatchError('GW_ERR_CONFIG_READ', `${file}: cannot read the config file (${(e as NodeJS.ErrnoException).code ?? String(e)}); pass an existing file with --config or GRIDWATCH_CONFIG`, { details: { file } });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new GridwatchError('GW_ERR_CONFIG_PARSE', `${file}: not valid YAML: ${(e as Error).message}`, { details: { file } });
  }
  const config = parseConfig(raw ?? {}, file, opts);
  if (!isAbsolute(config.dataDir)) config.dataDir = resolve(dirname(resolve(file)), config.dataDir);
  return config;
}

/** Validates an already-parsed object; `file` only names the source in messages. */
export function parseConfig(raw: unknown, file = '(config)', opts: LoadOptions = {}): Config {
  const data = structuredClone(raw) as Record<string, unknown>;
  applyEnv(data, opts.env ?? process.env, file);
  fillIntervals(data);
  if (!validateConfig(data)) {
    const problems = describeErrors(validateConfig.errors ?? [], data);
    throw new GridwatchError('GW_ERR_CONFIG_INVALID', `${file}: invalid config:\n${problems.map((p) => `  - ${p}`).join('\n')}`, { details: { file, problems } });
  }
  const config = data as unknown as Config;
  const problems = crossCheck(config);
  if (problems.length > 0) {
    throw new GridwatchError('GW_ERR_CONFIG_INVALID', `${file}: invalid config:\n${problems.map((p) => `  - ${p}`).join('\n')}`, { details: { file, problems } });
  }
  return config;
}

/** A device without `intervalS` gets its kind's default (one source: the kind module). */
function fillIntervals(data: Record<string, unknown>): void {
  if (!Array.isArray(data.devices)) return;
  for (const d of data.devices as unknown[]) {
    if (d === null || typeof d !== 'object') continue;
    const dev = d as Record<string, unknown>;
    const kind = typeof dev.kind === 'string' && Object.hasOwn(KINDS, dev.kind) ? KINDS[dev.kind as KindName] : undefined;
    if (dev.intervalS === undefined && kind) dev.intervalS = kind.defaultIntervalS;
  }
}

function applyEnv(data: Record<string, unknown>, env: NodeJS.ProcessEnv, file: string): void {
  const obj = (key: string): Record<string, unknown> => {
    const v = data[key];
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    const fresh: Record<string, unknown> = {};
    data[key] = fresh;
    return fresh;
  };
  const port = (name: string): number | undefined => {
    const v = env[name];
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) {
      throw new GridwatchError('GW_ERR_CONFIG_ENV', `${name}=${formatValue(v)}: must be a port number 0-65535 (overrides ${file})`, { details: { name, value: v } });
    }
    return n;
  };
  const mqttPort = port('GRIDWATCH_MQTT_PORT');
  if (mqttPort !== undefined) obj('mqtt').port = mqttPort;
  const httpPort = port('GRIDWATCH_HTTP_PORT');
  if (httpPort !== undefined) obj('http').port = httpPort;
  if (env.GRIDWATCH_INFLUX_URL) obj('influx').url = env.GRIDWATCH_INFLUX_URL;
  if (env.GRIDWATCH_INFLUX_DB) obj('influx').database = env.GRIDWATCH_INFLUX_DB;
  if (env.GRIDWATCH_DATA_DIR) data.dataDir = env.GRIDWATCH_DATA_DIR;
  if (env.GRIDWATCH_METRICS_TOKEN) obj('metrics').token = env.GRIDWATCH_METRICS_TOKEN;
  // cluster mode: every hub shares one config file; its id and the engines' URLs (which can carry
  // passwords, better kept out of the file) come from the environment
  if (env.GRIDWATCH_HUB_ID) obj('cluster').hubId = env.GRIDWATCH_HUB_ID;
  if (env.GRIDWATCH_REDIS_URL) obj('cluster').redisUrl = env.GRIDWATCH_REDIS_URL;
  if (env.GRIDWATCH_POSTGRES_URL) obj('cluster').postgresUrl = env.GRIDWATCH_POSTGRES_URL;
}

function valueAt(data: unknown, pointer: string): unknown {
  let cur: unknown = data;
  for (const part of pointer.split('/').slice(1)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return cur;
}

/** Turns Ajv errors into one line per problem: path, value, what is allowed. */
export function describeErrors(errors: ErrorObject[], data: unknown): string[] {
  const byPath = new Map<string, ErrorObject[]>();
  for (const e of errors) {
    const key = e.keyword === 'required' || e.keyword === 'additionalProperties' ? `${e.instancePath}#${JSON.stringify(e.params)}` : e.instancePath;
    const list = byPath.get(key) ?? [];
    list.push(e);
    byPath.set(key, list);
  }
  // An anyOf failure repeats every branch's complaint; keep the deepest paths and merge literals.
  const paths = [...byPath.keys()];
  const out: string[] = [];
  for (const [key, list] of byPath) {
    const path = list[0]?.instancePath ?? '';
    const deeper = paths.some((p) => p !== key && p.startsWith(`${path}/`));
    const first = list[0] as ErrorObject;
    const where = path === '' ? '/' : path;
    if (first.keyword === 'required') {
      out.push(`at ${where}: missing required key '${String(first.params.missingProperty)}'`);
      continue;
    }
    if (first.keyword === 'additionalProperties') {
      out.push(`at ${where}: unknown key '${String(first.params.additionalProperty)}' (check its spelling; it is not part of the schema)`);
      continue;
    }
    if (deeper && list.every((e) => e.keyword === 'anyOf' || e.keyword === 'const' || e.keyword === 'type')) continue;
    const value = formatValue(valueAt(data, path));
    const consts = list.filter((e) => e.keyword === 'const').map((e) => JSON.stringify(e.params.allowedValue));
    if (consts.length > 0) {
      out.push(`at ${where}: value ${value} is not allowed; allowed: ${consts.join(' | ')}`);
      continue;
    }
    const rules = [...new Set(list.filter((e) => e.keyword !== 'anyOf').map((e) => e.message ?? e.keyword))];
    out.push(`at ${where}: value ${value} ${rules.join('; ') || 'matches none of the allowed forms'}`);
  }
  return out;
}
