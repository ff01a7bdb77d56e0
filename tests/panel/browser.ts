// Shared by the panel's browser tests: build the panel with Vite, launch Debian's headless Chromium.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContextOptions } from 'playwright-core';
import { build } from 'vite';

export const PANEL_DIR = join(process.cwd(), 'dashboards', 'panel');
export const ARTIFACTS = join(process.cwd(), 'test-artifacts');

/** builds the current panel source into outDir (default: dashboards/panel/dist, what the hub serves) */
export async function buildPanel(outDir = join(PANEL_DIR, 'dist')): Promise<string> {
  await build({ root: PANEL_DIR, configFile: join(PANEL_DIR, 'vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  mkdirSync(ARTIFACTS, { recursive: true });
  return outDir;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 800 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' };
export const PHONE: BrowserContextOptions = { viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' };
