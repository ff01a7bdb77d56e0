# gridwatch hub (and simulator) image: Node 20 on Debian slim, compiled TypeScript, production deps.
# docker-compose.yml builds it for the `hub` and `simulator` services.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 falls back to a source build when no prebuilt binary matches
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# patches/: applied to node_modules by the postinstall script (patch-package)
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev && mkdir -p dashboards/panel/dist

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    GRIDWATCH_CONFIG=/etc/gridwatch/gridwatch.yaml \
    GRIDWATCH_DATA_DIR=/var/lib/gridwatch
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/examples ./examples
COPY --from=build /app/dashboards/panel/dist ./dashboards/panel/dist
RUN mkdir -p /var/lib/gridwatch /etc/gridwatch && chown node:node /var/lib/gridwatch
USER node
EXPOSE 1883 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# --max-semi-space-size=64: the hub's young generation (README, "Operations")
ENTRYPOINT ["node", "--max-semi-space-size=64", "bin/gridwatch.js"]
CMD ["serve"]
