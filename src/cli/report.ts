// `gridwatch report noise --night YYYY-MM-DD [--building ID] [--format table|csv|json]`
import type { Command } from 'commander';
import { noiseReportHandler } from '../reports/index.js';
import { configOption } from './options.js';
import { formatOption, runReport } from './report-run.js';

export interface NoiseReportOptions { config?: string; night: string; building?: string; grid?: string; format?: string }

/** Runs the night noise report and returns the text to print. */
export async function noiseReportCommand(opts: NoiseReportOptions, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return runReport(opts, env, (deps, format) => noiseReportHandler(deps, { night: opts.night, building: opts.building, grid: opts.grid, format }, 'all'));
}

export function register(program: Command): void {
  const report = program.command('report').description('reports from the stored data');
  report
    .command('noise')
    .description('night noise (default 22:00-06:00 local): LAeq per hour and night, Lmax, minutes above the GB 3096 limit, impulses; loudest building first')
    .addOption(configOption())
    .requiredOption('--night <date>', 'the date the night starts on, YYYY-MM-DD')
    .option('--building <id>', 'only this building')
    .option('--grid <id>', 'only this grid')
    .addOption(formatOption())
    .action(async (opts: NoiseReportOptions) => {
      process.stdout.write(await noiseReportCommand(opts));
    });
}
