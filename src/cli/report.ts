// `gridwatch report noise --night YYYY-MM-DD [--building ID] [--format table|csv|json]`
import type { Command } from 'commander';
import { GridwatchError } from '../core/errors.js';
import { FORMATS, noiseReportHandler } from '../reports/index.js';
import { reportDepsFromConfig } from '../reports/deps.js';
import { loadCliConfig } from './options.js';

export interface NoiseReportOptions { config?: string; night: string; building?: string; grid?: string; format?: string }

/** Runs the night noise report and returns the text to print. */
export async function noiseReportCommand(opts: NoiseReportOptions, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  checkFormat(opts.format);
  const deps = reportDepsFromConfig(loadCliConfig(opts.config, env));
  const r = await noiseReportHandler(deps, { night: opts.night, building: opts.building, grid: opts.grid, format: opts.format ?? 'table' }, 'all');
  return r.format === 'json' ? `${JSON.stringify(r.body, null, 2)}\n` : r.body;
}

function checkFormat(format: string | undefined): void {
  if (format !== undefined && !(FORMATS as readonly string[]).includes(format)) {
    throw new GridwatchError('GW_ERR_CLI_USAGE', `--format ${JSON.stringify(format)} is not an output format; allowed: ${FORMATS.join(' | ')}`, { details: { field: '--format', value: format } });
  }
}

export function register(program: Command): void {
  const report = program.command('report').description('reports from the stored data');
  report
    .command('noise')
    .description('night noise (default 22:00-06:00 local): LAeq per hour and night, Lmax, minutes above the GB 3096 limit, impulses; loudest building first')
    .option('-c, --config <file>', 'config file (default: $GRIDWATCH_CONFIG or ./gridwatch.yaml)')
    .requiredOption('--night <date>', 'the date the night starts on, YYYY-MM-DD')
    .option('--building <id>', 'only this building')
    .option('--grid <id>', 'only this grid')
    .option('--format <format>', `output: ${FORMATS.join(' | ')}`, 'table')
    .action(async (opts: NoiseReportOptions) => {
      process.stdout.write(await noiseReportCommand(opts));
    });
}
