// `gridwatch demo init --out DIR`: the example config with fresh secrets, for the one-command demo.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { demoInit, formatLogins } from '../../firmware-sim/index.js';

/** examples/gridwatch.yaml from the working directory, else from the package (src/ or dist/src/). */
export function findExample(cwd = process.cwd()): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(cwd, 'examples', 'gridwatch.yaml'), resolve(here, '../../examples/gridwatch.yaml'), resolve(here, '../../../examples/gridwatch.yaml')];
  return candidates.find((c) => existsSync(c)) ?? (candidates[0] as string);
}

export function register(program: Command): void {
  const demo = program.command('demo').description('the one-command demo');
  demo
    .command('init')
    .description('copy examples/gridwatch.yaml to DIR with fresh device secrets and demo logins')
    .requiredOption('--out <dir>', 'output directory, e.g. data/demo')
    .option('--example <file>', 'the example config (default: examples/gridwatch.yaml)')
    .action(async (a: { out: string; example?: string }) => {
      const r = await demoInit({ example: a.example ?? findExample(), out: a.out });
      process.stdout.write(
        `wrote ${r.configFile} (${r.devices} devices with fresh secret hashes)\n` +
        `wrote ${r.secretsFile} (mode 0600: the simulated devices' secrets)\n` +
        `demo logins (also in ${r.loginsFile}, mode 0600):\n${formatLogins(r.logins)}\n`,
      );
    });
}
