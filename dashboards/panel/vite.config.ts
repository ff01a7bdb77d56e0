// Vite build for the live panel: `npm run build:panel` writes dashboards/panel/dist, which the hub
// serves at `/` (src/api/static.ts). Everything is bundled: no CDN, no external fonts.
import { defineConfig } from 'vite';

const hub = 'http://127.0.0.1:8080';

export default defineConfig({
  // relative asset URLs, so the panel also works behind a reverse proxy under a sub-path
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2020', chunkSizeWarningLimit: 600 },
  // `npx vite dashboards/panel` during development: the API and socket.io go to a local hub
  server: {
    proxy: {
      '/api': hub,
      '/socket.io': { target: hub, ws: true },
    },
  },
});
