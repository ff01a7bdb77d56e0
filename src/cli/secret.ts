// `gridwatch secret hash <plain>`: prints the scrypt hash to put in the config.
import type { Command } from 'commander';
import { hashSecret } from '../core/secret.js';

export function register(program: Command): void {
  const secret = program.command('secret').description('device and user secrets');
  secret
    .command('hash <plain>')
    .description('print the scrypt hash of a secret (for secretHash / passwordHash in the config)')
    .action(async (plain: string) => {
      process.stdout.write(`${await hashSecret(plain)}\n`);
    });
}
