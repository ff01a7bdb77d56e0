// Serves the live panel (dashboards/panel/dist, built by `npm run build:panel`) at `/`.
// Without a build, `/` answers 503 with a text saying how to build it. Every response of the hub
// carries nosniff and X-Frame-Options (no framing: clickjacking); the panel's files also a Content
// Security Policy allowing only its own scripts, styles and same-origin connections (socket.io).
// Set here by hand rather than with @fastify/helmet: one policy for the panel's files only, while
// the API's JSON and the /docs UI (inline scripts) keep theirs.
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PanelOptions {
  /** the built panel; default: dashboards/panel/dist of the gridwatch package */
  root?: string;
}

/** the gridwatch package directory, found upwards from this file (works from src/ and dist/src/) */
function packageDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'gridwatch') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('gridwatch package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** the built panel: GRIDWATCH_PANEL_DIR (a custom build, or a test's own), else dashboards/panel/dist */
export function defaultPanelRoot(): string {
  return process.env.GRIDWATCH_PANEL_DIR ?? join(packageDir(), 'dashboards', 'panel', 'dist');
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** what a browser gets for an unknown path: the panel's not-found page, not the API's JSON */
export function notFoundPage(path: string): string {
  const p = escapeHtml(path);
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>页面不存在 · 网格监测</title><link rel="icon" href="/favicon.svg"><style>body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;background:#f3f5f8;color:#1f2937;margin:0}
header{background:#1d3557;color:#fff;padding:.75rem 1rem;font-weight:600}main{padding:1rem;max-width:40rem;margin:0 auto}
a{display:inline-block;margin-top:1rem;padding:.7rem 1rem;border-radius:8px;background:#1d4ed8;color:#fff;text-decoration:none}code{word-break:break-all}</style></head>
<body><header>网格监测 gridwatch</header><main data-not-found="${p}"><h1>页面不存在</h1><p>没有这个页面：<code>${p}</code></p><p lang="en">Page not found: <code>${p}</code></p><a href="/#/alerts">返回告警 · Back to alerts</a></main></body></html>
`;
}

export const PANEL_CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:", "font-src 'self' data:",
  "connect-src 'self' ws: wss:", "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

export async function registerPanel(app: FastifyInstance, opts: PanelOptions = {}): Promise<void> {
  app.addHook('onSend', async (_req, reply) => {
    void reply.header('x-content-type-options', 'nosniff').header('x-frame-options', 'DENY').header('referrer-policy', 'same-origin');
  });
  const root = resolve(opts.root ?? defaultPanelRoot());
  // outside /api/v1 (which answers its own JSON 404): a person's browser gets a page, programs JSON
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    if (req.method === 'GET' && (req.headers.accept ?? '').includes('text/html')) return reply.code(404).type('text/html; charset=utf-8').send(notFoundPage(path));
    return reply.code(404).send({ code: 'GW_ERR_API_NOT_FOUND', message: `no route ${req.method} ${path}`, details: { method: req.method } });
  });
  if (!existsSync(join(root, 'index.html'))) {
    app.log.warn({ root }, 'panel not built: / answers 503 until `npm run build:panel` is run');
    app.get('/', async (_req, reply) =>
      reply.code(503).type('text/plain; charset=utf-8').send(`gridwatch panel is not built (no ${join(root, 'index.html')}): run \`npm run build:panel\` and restart the hub.\n`),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    index: 'index.html',
    decorateReply: false,
    // hashed bundles never change; index.html must be re-read so a new build is picked up
    setHeaders: (reply, path) => {
      void reply.header('cache-control', path.startsWith(join(root, 'assets')) ? 'public, max-age=31536000, immutable' : 'no-cache');
      void reply.header('content-security-policy', PANEL_CSP);
    },
  });
}
