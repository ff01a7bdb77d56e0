// The dependency patches (patches/, applied by patch-package in postinstall) are what the broker
// tests and the bench run against: a tree installed without them (postinstall skipped, or an
// upgrade that left a patch behind) behaves the same but measures differently, silently.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const PATCHES = join(ROOT, 'patches');

/** Per patched file: the lines the patch adds (trimmed, non-empty), from a unified diff. */
function addedLines(diff: string): Map<string, string[]> {
  const files = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of diff.split('\n')) {
    const target = /^\+\+\+ b\/(.+)$/.exec(line);
    if (target?.[1]) files.set(target[1], (current = []));
    else if (current && line.startsWith('+') && line.slice(1).trim() !== '') current.push(line.slice(1).trim());
  }
  return files;
}

describe('dependency patches', () => {
  const patches = readdirSync(PATCHES).filter((f) => f.endsWith('.patch'));

  it('there are patches to check', () => {
    expect(patches.length).toBeGreaterThan(0);
  });

  it.each(patches)('%s is applied in node_modules', (patch) => {
    for (const [file, lines] of addedLines(readFileSync(join(PATCHES, patch), 'utf8'))) {
      const installed = readFileSync(join(ROOT, file), 'utf8');
      const missing = lines.filter((l) => !installed.includes(l));
      expect(missing, `${file}: lines of ${patch} not found (run npm ci or npx patch-package)`).toEqual([]);
    }
  });
});
