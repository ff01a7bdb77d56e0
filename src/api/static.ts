// Serves the live panel (dashboards/panel/dist, built by `npm run build:panel`) at `/`.
// Without a build, `/` answers 503 with a text saying how to build it.
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

export function defaultPanelRoot(): string {
  return join(packageDir(), 'dashboards', 'panel', 'dist');
}

export async function registerPanel(app: FastifyInstance, opts: PanelOptions = {}): Promise<void> {
  const root = resolve(opts.root ?? defaultPanelRoot());
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
    },
  });
}
