// `gridwatch serve [--config FILE]`: runs the hub until SIGTERM / SIGINT, then closes it gracefully.
import type { Command } from 'commander';
import { createLogger } from '../core/logger.js';
import { configOption, loadCliConfig } from './options.js';

export function register(program: Command): void {
  program
    .command('serve')
    .description('run the hub: MQTT broker, ingest, rules, alerts, API and live panel')
    .addOption(configOption())
    .action(async (opts: { config?: string }) => {
      const config = loadCliConfig(opts.config);
      const logger = createLogger();
      // loaded on demand: the other commands start without the whole hub
      const { startHub } = await import('../hub/hub.js');
      const hub = await startHub(config, { logger });
      let stopping = false;
      const stop = (signal: NodeJS.Signals): void => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'shutting down');
        hub.close().then(() => process.exit(0), (e: unknown) => {
          logger.error({ err: e }, 'shutdown failed');
          process.exit(1);
        });
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}
