import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, it, expect } from 'vitest';
import { verifySecret } from '../../src/core/secret.js';
import { loadConfigFile } from '../../src/config/index.js';
import { addDevice } from '../../src/cli/device.js';

const ROOT = join(import.meta.dirname, '../..');
const EXAMPLE = join(ROOT, 'examples/gridwatch.yaml');
const dir = mkdtempSync(join(tmpdir(), 'gw-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run { code: number; stdout: string; stderr: string }

async function gridwatch(...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env: { ...process.env, GRIDWATCH_CONFIG: '' } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('gridwatch CLI', () => {
  it('secret hash prints a scrypt hash of the secret', async () => {
    const r = await gridwatch('secret', 'hash', 'hunter2');
    expect(r.code).toBe(0);
    const hash = r.stdout.trim();
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifySecret('hunter2', hash)).toBe(true);
    expect(await verifySecret('hunter3', hash)).toBe(false);
  });

  it('device add writes the device with a fresh hash, keeps the comments and prints the secret once', async () => {
    const file = join(dir, 'add.yaml');
    copyFileSync(EXAMPLE, file);
    const before = readFileSync(file, 'utf8');
    const r = await gridwatch('device', 'add', '--config', file, '--id', 'gas-lty4-0602', '--kind', 'gas', '--building', 'lty-4', '--unit', '6单元602');
    expect(r.code).toBe(0);
    const secret = /secret: (\S+)/.exec(r.stdout)?.[1] ?? '';
    expect(secret.length).toBeGreaterThanOrEqual(20);
    const after = readFileSync(file, 'utf8');
    expect(after).not.toContain(secret);
    for (const line of before.split('\n').filter((l) => l.trimStart().startsWith('#'))) expect(after).toContain(line);
    const config = loadConfigFile(file, { env: {} });
    const d = config.devices.find((x) => x.id === 'gas-lty4-0602');
    expect(d).toMatchObject({ kind: 'gas', building: 'lty-4', unit: '6单元602', intervalS: 600 });
    expect(await verifySecret(secret, d?.secretHash ?? '')).toBe(true);
    expect(config.devices).toHaveLength(61);
  });

  it('device add refuses an unknown building, a duplicate id and a bad kind, leaving the file alone', async () => {
    const file = join(dir, 'bad.yaml');
    copyFileSync(EXAMPLE, file);
    const before = readFileSync(file, 'utf8');
    const r = await gridwatch('device', 'add', '--config', file, '--id', 'gas-x-1', '--kind', 'gas', '--building', 'nowhere');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('GW_ERR_CONFIG_INVALID');
    expect(r.stderr).toContain('/devices/60/building');
    expect(r.stderr).toContain('"nowhere"');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readFileSync(file, 'utf8')).toBe(before);
    await expect(addDevice(before, file, { id: 'gas-lty3-0101', kind: 'gas', building: 'lty-3' })).rejects.toThrow(/used twice/);
    await expect(addDevice(before, file, { id: 'x1', kind: 'radon', building: 'lty-3' })).rejects.toThrow(/allowed: smoke \| gas \| noise \| water/);
  });

  it('device add creates the devices list when the file has none', async () => {
    const text = 'streets:\n  - id: s\n    name: S\n    communities:\n      - id: c\n        name: C\n        grids:\n          - id: g\n            name: G\n            buildings: [{ id: b, name: B }]\n';
    const out = await addDevice(text, 'x.yaml', { id: 'water-1', kind: 'water', building: 'b', intervalS: 300 });
    expect(out.text).toContain('devices:');
    expect(out.text).toMatch(/id: water-1/);
  });

  it('serve with an invalid config prints the message (file, path, value, allowed) and exits 2 without a stack', async () => {
    const file = join(dir, 'invalid.yaml');
    writeFileSync(file, readFileSync(EXAMPLE, 'utf8').replace('kind: noise', 'kind: radon'));
    const r = await gridwatch('serve', '--config', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(/at \/devices\/\d+\/kind: value "radon" is not allowed; allowed: "smoke" \| "gas" \| "noise" \| "water"/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('serve with a missing config file exits 2', async () => {
    const r = await gridwatch('serve', '--config', join(dir, 'missing.yaml'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('GW_ERR_CONFIG_READ');
  });
});
