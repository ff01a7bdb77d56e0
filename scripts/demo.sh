#!/usr/bin/env bash
# The one-command demo (`npm run demo`): builds gridwatch, writes a demo config with fresh secrets
# (data/demo, once), starts the hub with a managed influxd and the simulator with the gas-leak
# scenario (a leak passes 10 % LEL about 80 s and 25 % LEL about 125 s in), prints the panel URL,
# the demo logins with role and grids and which of them receives the leak, and stops both on
# Ctrl-C. Logs are appended to hub.log and sim.log.
# Environment: GRIDWATCH_DEMO_DIR (default data/demo), GRIDWATCH_HTTP_PORT (8080),
# GRIDWATCH_MQTT_PORT (1883): a busy port is replaced by a free one. DEMO_SCENARIO (gas-leak).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/require.sh
require_node
require_os_packages influxd:influxdb
require_npm_deps

echo "gridwatch demo: building" >&2
npm run --silent build

DEMO_DIR=${GRIDWATCH_DEMO_DIR:-data/demo}
CONFIG="$DEMO_DIR/gridwatch.yaml"
if [ ! -f "$CONFIG" ] || [ ! -f "$DEMO_DIR/device-secrets.json" ]; then
  node bin/gridwatch.js demo init --out "$DEMO_DIR" >/dev/null
fi

# a port that is free: the wanted one if nobody listens there, else one the kernel picks
free_port() {
  node -e '
    const net = require("node:net");
    const want = Number(process.argv[1]);
    const probe = (port, next) => { const s = net.createServer(); s.once("error", next);
      s.listen(port, "0.0.0.0", () => { const p = s.address().port; s.close(() => console.log(p)); }); };
    probe(want, () => probe(0, (e) => { console.error(e.message); process.exit(1); }));' "$1"
}
export GRIDWATCH_HTTP_PORT=$(free_port "${GRIDWATCH_HTTP_PORT:-8080}")
export GRIDWATCH_MQTT_PORT=$(free_port "${GRIDWATCH_MQTT_PORT:-1883}")
export GRIDWATCH_CONFIG="$CONFIG"
unset GRIDWATCH_INFLUX_URL # the demo's hub manages its own influxd under the demo's data dir

HUB_PID=""; SIM_PID=""
cleanup() {
  trap - INT TERM EXIT
  echo >&2; echo "gridwatch demo: stopping" >&2
  [ -n "$SIM_PID" ] && kill -TERM "$SIM_PID" 2>/dev/null || true
  [ -n "$SIM_PID" ] && wait "$SIM_PID" 2>/dev/null || true
  [ -n "$HUB_PID" ] && kill -TERM "$HUB_PID" 2>/dev/null || true
  [ -n "$HUB_PID" ] && wait "$HUB_PID" 2>/dev/null || true
  echo "gridwatch demo: stopped (logs in $DEMO_DIR/hub.log and $DEMO_DIR/sim.log)" >&2
}
trap cleanup INT TERM EXIT

# logs are appended: a restart keeps what happened before it
echo "=== gridwatch demo $(date -u +%FT%TZ) ===" >>"$DEMO_DIR/hub.log"
node --max-semi-space-size=64 bin/gridwatch.js serve --config "$CONFIG" >>"$DEMO_DIR/hub.log" 2>&1 &
HUB_PID=$!
echo "gridwatch demo: starting the hub (MQTT :$GRIDWATCH_MQTT_PORT, HTTP :$GRIDWATCH_HTTP_PORT)" >&2
for _ in $(seq 1 240); do
  if ! kill -0 "$HUB_PID" 2>/dev/null; then
    echo "gridwatch demo: the hub stopped; the end of $DEMO_DIR/hub.log:" >&2
    tail -n 20 "$DEMO_DIR/hub.log" >&2
    HUB_PID=""; exit 1
  fi
  # like `curl -fsS`: success on a 2xx/3xx answer (no redirect followed); Node's fetch, so no curl needed
  node -e 'fetch(process.argv[1], { redirect: "manual" }).then((r) => process.exit(r.status < 400 ? 0 : 1), () => process.exit(1))' \
    "http://127.0.0.1:$GRIDWATCH_HTTP_PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done

node bin/gridwatch.js sim --config "$CONFIG" --scenario "${DEMO_SCENARIO:-gas-leak}" \
  --url "mqtt://127.0.0.1:$GRIDWATCH_MQTT_PORT" >>"$DEMO_DIR/sim.log" 2>&1 &
SIM_PID=$!

cat <<MSG

  gridwatch demo is running
  live panel:   http://127.0.0.1:$GRIDWATCH_HTTP_PORT/
  MQTT:         mqtt://127.0.0.1:$GRIDWATCH_MQTT_PORT   (60 simulated sensors, scenario ${DEMO_SCENARIO:-gas-leak})
  logs:         $DEMO_DIR/hub.log, $DEMO_DIR/sim.log

MSG
# who is who, and which login receives the demo's gas leak and when
node bin/gridwatch.js demo story --config "$CONFIG" --logins "$DEMO_DIR/demo-logins.json"

echo
echo "  Ctrl-C stops the hub and the simulator."
wait "$HUB_PID"
