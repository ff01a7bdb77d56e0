// Files that hold people, sessions, alert cases or hashed secrets are created owner-only (0600):
// a world-readable api.db leaks password hashes and session hashes to every local user.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

export const PRIVATE_FILE_MODE = 0o600;

/** Creates `file` (and its folder) owner-only if missing, and tightens it if it exists. */
export function ensurePrivateFile(file: string): void {
  if (file === ':memory:') return;
  mkdirSync(dirname(file), { recursive: true });
  if (!existsSync(file)) closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  chmodSync(file, PRIVATE_FILE_MODE);
}
