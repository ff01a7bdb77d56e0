// Shared by `audit` and `report`: the --format option, its check, and running one report handler
// against the config's InfluxDB into the text to print.
import { Option } from 'commander';
import { GridwatchError } from '../core/errors.js';
import { FORMATS, type ReportDeps, type ReportResult } from '../reports/index.js';
import { reportDepsFromConfig } from '../reports/deps.js';
import { loadCliConfig } from './options.js';

/** `--format <format>`: table (default) | csv | json */
export function formatOption(): Option {
  return new Option('--format <format>', `output: ${FORMATS.join(' | ')}`).default('table');
}

function checkFormat(format: string | undefined): void {
  if (format !== undefined && !(FORMATS as readonly string[]).includes(format)) {
    throw new GridwatchError('GW_ERR_CLI_USAGE', `--format ${JSON.stringify(format)} is not an output format; allowed: ${FORMATS.join(' | ')}`, { details: { field: '--format', value: format } });
  }
}

/** Checks --format, loads the config, runs the handler with the format, returns the text (JSON pretty-printed). */
export async function runReport<T>(
  opts: { config?: string; format?: string },
  env: NodeJS.ProcessEnv,
  handler: (deps: ReportDeps, format: string) => Promise<ReportResult<T>>,
): Promise<string> {
  checkFormat(opts.format);
  const r = await handler(reportDepsFromConfig(loadCliConfig(opts.config, env)), opts.format ?? 'table');
  return r.format === 'json' ? `${JSON.stringify(r.body, null, 2)}\n` : r.body;
}
