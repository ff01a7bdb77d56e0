# Sourced by scripts/test.sh and scripts/demo.sh: make sure the OS packages and npm dependencies
# are there, installing them where we may (root on Debian/Ubuntu), else stop naming the command.
# usage: require_os_packages "binary:package" ...
require_os_packages() {
  local missing=() pair bin pkg
  for pair in "$@"; do
    bin=${pair%%:*}; pkg=${pair#*:}
    command -v "$bin" >/dev/null 2>&1 || [ -x "$bin" ] || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "gridwatch: installing ${missing[*]} from the OS packages" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "gridwatch: missing ${missing[*]}; install with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
}

require_node() {
  if ! command -v node >/dev/null 2>&1; then
    echo "gridwatch: Node.js >= 20.12 is missing; install it from https://nodejs.org or: sudo apt-get install -y nodejs npm" >&2
    exit 1
  fi
  # 20.12: crypto.hash (the verified-secret cache)
  if [ "$(node -p 'const [a, b] = process.versions.node.split(".").map(Number); a > 20 || (a === 20 && b >= 12)')" != true ]; then
    echo "gridwatch: Node.js $(node --version) is too old; gridwatch needs Node.js >= 20.12" >&2
    exit 1
  fi
}

require_npm_deps() {
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "gridwatch: installing npm dependencies (npm ci)" >&2
    npm ci --no-audit --no-fund
  fi
}
