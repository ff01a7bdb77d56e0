// Channel secrets: `env:NAME` means "read process.env.NAME at start". The value is held in memory
// only and never logged (the logger also redacts `secret`).
import { ValidationError } from '../core/errors.js';

export function resolveSecret(value: string | undefined, field: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (value === undefined) return undefined;
  if (!value.startsWith('env:')) return value;
  const name = value.slice(4);
  const v = env[name];
  // the reference (not a secret) is named in the message; the value never is
  if (v === undefined || v === '') throw new ValidationError('GW_ERR_CONFIG_ENV', field, value, `environment variable ${name} must be set`);
  return v;
}
