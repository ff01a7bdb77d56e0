import { pino, type Logger } from 'pino';

export type { Logger };

// Secrets never reach a log line: pino removes these paths wherever they appear.
export const REDACT_PATHS = ['password', 'secret', 'secretHash', 'passwordHash', 'token', '*.password', '*.secret', '*.secretHash', '*.passwordHash', '*.token', 'req.headers.authorization', 'headers.authorization'];

export function createLogger(opts: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: opts.name ?? 'gridwatch',
    level: opts.level ?? process.env.GRIDWATCH_LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  });
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
