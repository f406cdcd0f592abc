# Sourced by bin/berth and bin/test: makes sure this checkout has what it runs on.
# - Node.js 24 (the machine's own node when it is new enough, otherwise the
#   official binary from the npm registry's node-linux-<arch> package, kept in .tools/);
# - the npm dependencies in node_modules/ (npm ci when package-lock.json changed);
# - Debian packages named by the caller (apt-get, only those missing).
# Progress goes to stderr so that command output stays parseable.

BERTH_ROOT=${BERTH_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BERTH_NODE_VERSION=24.21.0   # Node 24 LTS; native type stripping and node:sqlite without flags

berth_say() { printf 'berth: %s\n' "$*" >&2; }

berth_node() {
  local sys
  if sys=$(command -v node) && [ "$("$sys" -p 'process.versions.node.split(".")[0]' 2>/dev/null)" -ge 24 ] 2>/dev/null; then
    printf '%s\n' "$sys"; return
  fi
  local dir="$BERTH_ROOT/.tools/node-$BERTH_NODE_VERSION"
  local bin="$dir/node_modules/node-linux-$(berth_node_arch)/bin/node"
  if [ ! -x "$bin" ]; then
    berth_say "installing Node.js $BERTH_NODE_VERSION into .tools/ (the machine has $(node --version 2>/dev/null || echo none))"
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error \
      "node-linux-$(berth_node_arch)@$BERTH_NODE_VERSION" >&2 || { berth_say "could not install Node.js $BERTH_NODE_VERSION from the npm registry"; return 1; }
  fi
  printf '%s\n' "$bin"
}

berth_node_arch() {
  case "$(uname -m)" in
    x86_64) echo x64 ;;
    aarch64|arm64) echo arm64 ;;
    *) berth_say "unsupported CPU architecture $(uname -m)"; return 1 ;;
  esac
}

# npm ci when node_modules is missing or older than the lock file.
berth_npm_deps() {
  local stamp="$BERTH_ROOT/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$BERTH_ROOT/package-lock.json" -nt "$stamp" ]; then
    berth_say "installing npm dependencies"
    (cd "$BERTH_ROOT" && npm ci --no-audit --no-fund --loglevel=error >&2) || { berth_say "npm ci failed"; return 1; }
    touch "$stamp"
  fi
}

# berth_debian_packages PKG...: installs the ones not installed yet.
berth_debian_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    berth_say "missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})"; return 1
  fi
  berth_say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
    { apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; } ||
    { berth_say "apt-get could not install: ${missing[*]}"; return 1; }
}
