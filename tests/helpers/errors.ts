// The stable code a promise rejects with (a GridwatchError's code, else the error as text), or
// undefined when it resolves: tests compare codes, not messages.
import { GridwatchError } from '../../src/core/errors.js';

export async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return e instanceof GridwatchError ? e.code : String(e);
  }
}
