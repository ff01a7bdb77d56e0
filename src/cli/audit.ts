// `gridwatch audit uptime --from T --to T [--grid ID] [--format table|csv|json]`
import type { Command } from 'commander';
import { GridwatchError } from '../core/errors.js';
import { uptimeReportHandler, type DataSource } from '../reports/index.js';
import { configOption } from './options.js';
import { formatOption, runReport } from './report-run.js';

const SOURCES: readonly DataSource[] = ['auto', 'raw', 'downsampled', 'gaps', 'records'];

export interface AuditUptimeOptions {
  config?: string;
  from: string;
  to?: string;
  grid?: string;
  building?: string;
  device?: string;
  community?: string;
  street?: string;
  format?: string;
  source?: string;
}

/** Runs the audit and returns the text to print (the command writes it to stdout). */
export async function auditUptimeCommand(opts: AuditUptimeOptions, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const source = (opts.source ?? 'auto') as DataSource;
  if (!SOURCES.includes(source)) {
    throw new GridwatchError('GW_ERR_CLI_USAGE', `--source '${opts.source ?? ''}' is not allowed; allowed: ${SOURCES.join(' | ')}`, { details: { field: '--source', value: opts.source } });
  }
  return runReport(opts, env, (deps, format) => uptimeReportHandler(deps, {
    from: opts.from, to: opts.to, grid: opts.grid, building: opts.building, device: opts.device,
    community: opts.community, street: opts.street, format,
  }, 'all', { source }));
}

export function register(program: Command): void {
  const audit = program.command('audit').description('audits of the stored data');
  audit
    .command('uptime')
    .description('sensor uptime over a period: outages (cause, duration), MTTR, battery trend')
    .addOption(configOption())
    .requiredOption('--from <time>', 'period start: a local date or date-time in the config zone (2026-03-01, 2026-03-01T08:00), ISO 8601 with offset, or ms since epoch')
    .option('--to <time>', 'period end (default: now)')
    .option('--grid <id>', 'only this grid')
    .option('--building <id>', 'only this building')
    .option('--device <id>', 'only this device')
    .option('--community <id>', 'only this community')
    .option('--street <id>', 'only this street')
    .addOption(formatOption())
    .option('--source <source>', 'judged from: auto (outage records when they cover the period) | records (the hub\'s outage records) | raw (every reading, recomputed) | gaps | downsampled', 'auto')
    .action(async (opts: AuditUptimeOptions) => {
      process.stdout.write(await auditUptimeCommand(opts));
    });
}
