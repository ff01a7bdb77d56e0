// `gridwatch sim`: runs simulated sensors (firmware-sim/) as the registered devices of a config.
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { GridwatchError, formatValue } from '../core/errors.js';
import { createLogger } from '../core/logger.js';
import { isScenario, readSecrets, SCENARIO_NAMES, SECRETS_FILE, Simulator, specsFromConfig, type ScenarioName } from '../../firmware-sim/index.js';
import { configOption, configPath, loadCliConfig } from './options.js';

export interface SimArgs {
  config?: string;
  secrets?: string;
  devices?: string;
  rate?: string;
  scenario?: string;
  warp?: string;
  url?: string;
  qos?: string;
  seed?: string;
  start?: string;
}

export interface SimSettings {
  devices?: number;
  rate?: number;
  scenario: ScenarioName;
  warp?: number;
  qos: 0 | 1;
  start?: number;
  url?: string;
}

function usage(field: string, value: unknown, rule: string): GridwatchError {
  return new GridwatchError('GW_ERR_CLI_USAGE', `option '--${field}' value ${formatValue(value)} breaks rule: ${rule}`, { details: { field, value, rule } });
}

function positive(field: string, raw: string | undefined, integer: boolean): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw usage(field, raw, integer ? 'a positive integer' : 'a positive number');
  return n;
}

/** Checks the command line options; pure, so it is tested without a broker. */
export function parseSimArgs(a: SimArgs): SimSettings {
  const scenario = a.scenario ?? 'steady';
  if (!isScenario(scenario)) throw usage('scenario', scenario, `one of ${SCENARIO_NAMES.join(', ')}`);
  const qos = a.qos ?? '1';
  if (qos !== '0' && qos !== '1') throw usage('qos', qos, '0 or 1');
  let start: number | undefined;
  if (a.start !== undefined) {
    start = Date.parse(a.start);
    if (!Number.isFinite(start)) throw usage('start', a.start, 'an ISO 8601 date-time, e.g. 2026-11-20T22:00:00+08:00');
  }
  if (a.url !== undefined && !/^(mqtts?|wss?|tcp):\/\//.test(a.url)) throw usage('url', a.url, 'an mqtt://, mqtts://, ws:// or wss:// URL');
  const settings: SimSettings = { scenario, qos: qos === '0' ? 0 : 1 };
  const devices = positive('devices', a.devices, true);
  const rate = positive('rate', a.rate, false);
  const warp = positive('warp', a.warp, false);
  if (devices !== undefined) settings.devices = devices;
  if (rate !== undefined) settings.rate = rate;
  if (warp !== undefined) settings.warp = warp;
  if (start !== undefined) settings.start = start;
  if (a.url !== undefined) settings.url = a.url;
  return settings;
}

export function register(program: Command): void {
  program
    .command('sim')
    .description(`run simulated sensors as the config's registered devices (scenarios: ${SCENARIO_NAMES.join(', ')})`)
    .addOption(configOption())
    .option('--secrets <file>', `device secrets (default: ${SECRETS_FILE} next to the config)`)
    .option('--devices <n>', 'simulate only the first N devices')
    .option('--rate <r>', 'load mode: R readings per second in total, round-robin over the devices')
    .option('--scenario <name>', 'scenario', 'steady')
    .option('--warp <x>', 'simulated seconds per real second (default: the scenario\'s)')
    .option('--start <iso>', 'simulated start time (default: now, or the last night for night-knocking)')
    .option('--url <url>', 'broker URL (default: mqtt://127.0.0.1:<mqtt.port>)')
    .option('--qos <0|1>', 'QoS of readings', '1')
    .option('--seed <s>', 'random seed (same seed, same readings)', 'gridwatch')
    .action(async (a: SimArgs) => {
      const s = parseSimArgs(a);
      const config = loadCliConfig(a.config);
      const secretsFile = a.secrets ?? join(dirname(configPath(a.config)), SECRETS_FILE);
      const secrets = readSecrets(secretsFile);
      const specs = specsFromConfig(config);
      const logger = createLogger({ name: 'gridwatch-sim' });
      const sim = new Simulator({
        url: s.url ?? `mqtt://127.0.0.1:${config.mqtt.port}`,
        devices: s.devices === undefined ? specs : specs.slice(0, s.devices),
        secrets,
        timezone: config.timezone,
        scenario: s.scenario,
        seed: a.seed ?? 'gridwatch',
        qos: s.qos,
        mode: s.rate === undefined ? 'realistic' : 'load',
        logger,
        ...(s.rate === undefined ? {} : { rate: s.rate }),
        ...(s.warp === undefined ? {} : { warp: s.warp }),
        ...(s.start === undefined ? {} : { start: s.start }),
      });
      logger.info({ scenario: s.scenario, devices: sim.stats().devices, warp: sim.clock.warp, simStart: new Date(sim.clock.start).toISOString() }, 'simulator starting');
      await sim.start();
      const report = setInterval(() => logger.info({ ...sim.stats(), simTime: new Date(sim.simNow()).toISOString() }, 'simulator'), 10_000);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      clearInterval(report);
      await sim.stop();
      logger.info(sim.stats(), 'simulator stopped');
    });
}
