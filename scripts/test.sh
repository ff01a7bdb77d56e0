#!/usr/bin/env bash
# The whole test suite against real parts: influxd, MQTT clients over TCP, headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/require.sh
require_node
require_os_packages influxd:influxdb influx:influxdb-client mosquitto_pub:mosquitto-clients /usr/bin/chromium:chromium \
  redis-server:redis-server pg_ctlcluster:postgresql /usr/sbin/haproxy:haproxy
require_npm_deps
npm run build:panel --if-present
set +e
npx vitest run --reporter=default --reporter=json --outputFile.json=.vitest-results.json "$@"
rc=$?
set -e
node scripts/test-summary.mjs .vitest-results.json || true
exit $rc
