// Shared command line helpers: the --config option, where the config file is, and loading it.
import { resolve } from 'node:path';
import { Option } from 'commander';
import { loadConfigFile, type Config } from '../config/index.js';

export const DEFAULT_CONFIG_FILE = 'gridwatch.yaml';

/** `-c, --config <file>` for every command that reads the config */
export function configOption(): Option {
  return new Option('-c, --config <file>', `config file (default: $GRIDWATCH_CONFIG or ./${DEFAULT_CONFIG_FILE})`);
}

/** --config FILE, else GRIDWATCH_CONFIG, else ./gridwatch.yaml */
export function configPath(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(option ?? env.GRIDWATCH_CONFIG ?? DEFAULT_CONFIG_FILE);
}

/** Loads and validates the config (env overrides applied); throws GridwatchError on problems. */
export function loadCliConfig(option: string | undefined, env: NodeJS.ProcessEnv = process.env): Config {
  return loadConfigFile(configPath(option, env), { env });
}
