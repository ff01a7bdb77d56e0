// registerPanel against a real fastify server on a free port: serves a built panel, or 503 naming
// the build command when there is none.
import Fastify, { type FastifyInstance } from 'fastify';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPanelRoot, registerPanel } from '../../src/api/static.js';

const dir = mkdtempSync(join(tmpdir(), 'gw-panel-'));
const apps: FastifyInstance[] = [];

async function serve(root: string): Promise<string> {
  const app = Fastify();
  apps.push(app);
  await registerPanel(app, { root });
  app.get('/api/v1/ping', async () => ({ pong: true }));
  return app.listen({ port: 0, host: '127.0.0.1' });
}

beforeAll(() => {
  mkdirSync(join(dir, 'built', 'assets'), { recursive: true });
  writeFileSync(join(dir, 'built', 'index.html'), '<!doctype html><title>panel</title><div id="app"></div>');
  writeFileSync(join(dir, 'built', 'assets', 'index-abc.js'), 'console.log(1)');
});

afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe('registerPanel', () => {
  it('serves index.html at / (not cached) and hashed assets (cached for good), API routes untouched', async () => {
    const base = await serve(join(dir, 'built'));
    const index = await fetch(`${base}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/text\/html/);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(await index.text()).toContain('<div id="app">');
    const asset = await fetch(`${base}/assets/index-abc.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(await (await fetch(`${base}/api/v1/ping`)).json()).toEqual({ pong: true });
    expect((await fetch(`${base}/assets/missing.js`)).status).toBe(404);
  });

  it('answers 503 naming `npm run build:panel` when the panel is not built', async () => {
    const base = await serve(join(dir, 'not-built'));
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('npm run build:panel');
  });

  it('defaults to dashboards/panel/dist of the package', () => {
    expect(defaultPanelRoot()).toBe(join(process.cwd(), 'dashboards', 'panel', 'dist'));
  });
});
