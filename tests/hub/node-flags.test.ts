// The hub runs with the same V8 flags however it is started (README, "Operations"): npm start, the
// Docker image, the demo script, the systemd unit of docs/deploy.md, the installed command, and
// the bench, which must measure the hub as users run it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMPILED_HUB } from '../../bench/hub-process.js';

const ROOT = join(import.meta.dirname, '..', '..');
const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');
/** the line of `text` that starts the hub (matched by `starts`) */
const lineOf = (text: string, starts: RegExp): string => text.split('\n').find((l) => starts.test(l)) ?? '';

const HUB_STARTS: Record<string, string> = {
  'npm start': (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.start ?? '',
  Dockerfile: lineOf(read('Dockerfile'), /^ENTRYPOINT /),
  'scripts/demo.sh': lineOf(read('scripts/demo.sh'), /^node .*bin\/gridwatch\.js serve/),
  'docs/deploy.md (systemd)': lineOf(read('docs/deploy.md'), /^ExecStart=/),
  'bin/gridwatch.js (the installed command)': lineOf(read('bin/gridwatch.js'), /^#!/),
  'bench/hub-process.ts': COMPILED_HUB.join(' '),
};

describe('how the hub is started', () => {
  it('every way of starting it gives node the same young-generation size', () => {
    const sizes = Object.fromEntries(Object.entries(HUB_STARTS).map(([where, line]) => [where, /--max-semi-space-size=(\d+)/.exec(line)?.[1]]));
    const expected = sizes['npm start'];
    expect(expected).toMatch(/^\d+$/);
    expect(sizes).toEqual(Object.fromEntries(Object.keys(HUB_STARTS).map((where) => [where, expected])));
  });
});
