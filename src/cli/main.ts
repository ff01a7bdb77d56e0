// The `gridwatch` command line. Each command lives in its own file exporting register(program).
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { isGridwatchError } from '../core/errors.js';
import { register as registerDevice } from './device.js';
import { register as registerSecret } from './secret.js';
import { register as registerServe } from './serve.js';
import { register as registerSim } from './sim.js';
import { register as registerDemo } from './demo.js';
import { register as registerAudit } from './audit.js';
import { register as registerReport } from './report.js';

export function buildProgram(): Command {
  const program = new Command('gridwatch')
    .description('IoT monitoring hub for residential communities')
    .showHelpAfterError()
    .exitOverride();
  registerServe(program);
  registerSecret(program);
  registerDevice(program);
  // --- commands added by other modules: one import above and one line here each ---
  registerAudit(program);
  registerReport(program);
  registerSim(program);
  registerDemo(program);
  // --- end of commands ---
  return program;
}

/** Exit codes: 0 ok, 2 config or usage error (message only, no stack), 1 anything else. */
export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    if (isGridwatchError(e)) {
      process.stderr.write(`gridwatch: ${e.code}: ${e.message}\n`);
      process.exitCode = e.code.startsWith('GW_ERR_CONFIG_') || e.code === 'GW_ERR_CLI_USAGE' ? 2 : 1;
      return;
    }
    process.stderr.write(`gridwatch: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  }
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) await main();
