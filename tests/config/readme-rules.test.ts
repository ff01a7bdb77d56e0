// The rule examples in the README are part of the documentation users copy: they must load.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';

describe('README rule examples', () => {
  it('pass the config schema', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const block = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string).find((b) => b.startsWith('rules:'));
    expect(block).toBeDefined();
    const config = parseConfig(parse(block as string), 'README.md', { env: {} });
    expect(config.rules.map((r) => r.id)).toEqual(['gas-critical', 'noise-night', 'water-rising', 'noise-impulses', 'offline']);
  });
});
