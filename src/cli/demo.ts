// `gridwatch demo init --out DIR`: the example config with fresh secrets, for the one-command demo.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { demoInit, formatLogins } from '../../firmware-sim/index.js';
import { gasLeakStory, loginLines, storyLines } from './demo-story.js';
import { loadCliConfig } from './options.js';

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
  demo
    .command('story')
    .description('the demo logins with role and grids, and which login receives the gas leak, and when')
    .option('--config <file>', 'the demo config (data/demo/gridwatch.yaml)')
    .requiredOption('--logins <file>', 'demo-logins.json written by `demo init`')
    .option('--seed <s>', 'the simulator seed', 'gridwatch')
    .action((a: { config?: string; logins: string; seed: string }) => {
      const config = loadCliConfig(a.config);
      const logins = JSON.parse(readFileSync(a.logins, 'utf8')) as { id: string; password: string }[];
      const story = gasLeakStory(config, a.seed, Date.now());
      process.stdout.write([
        '  demo logins (user  password  role  name  grids):',
        ...loginLines(config, logins),
        '',
        ...(story ? storyLines(story) : []),
        '',
      ].join('\n'));
    });
}
