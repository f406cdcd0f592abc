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

# berth_backports_packages PKG...: installs the ones not installed yet from the newest
# suite the machine's Debian offers them in: on Debian 12 (bookworm) that is
# bookworm-backports (runsc there has the systrap platform; bookworm's own is from 2022),
# added once as a sources file on the machine's own archive; on later releases the
# release itself. Optional: on failure it says so once and returns 0, because the host
# still runs (runsc missing means Fargate tasks get the userns boundary instead of gVisor).
berth_backports_packages() {
  local missing=() p codename suite='' uri list=/etc/apt/sources.list.d/berth-backports.sources
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || { berth_say "optional Debian packages missing: ${missing[*]} (run as root to install them)"; return 0; }
  codename=$(. /etc/os-release 2>/dev/null && printf '%s' "${VERSION_CODENAME:-}")
  if [ "$codename" = bookworm ]; then
    suite=bookworm-backports
    if ! grep -rqs -- "$suite" /etc/apt/sources.list /etc/apt/sources.list.d/; then
      # The archive the machine already uses for Debian itself (a mirror or a snapshot proxy).
      uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | grep -v -- '-security' | awk '{print $2; exit}')
      [ -n "$uri" ] || uri=$(grep -hs '^deb ' /etc/apt/sources.list | grep -v -- '-security' | awk '{print $2; exit}')
      uri=${uri:-http://deb.debian.org/debian}
      printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uri" "$suite" >"$list"
      berth_say "added $suite ($uri) to apt's sources for: ${missing[*]}"
      apt-get update -qq >&2 || true
    fi
  fi
  berth_say "installing Debian packages${suite:+ from $suite}: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get install -y -qq --no-install-recommends ${suite:+-t "$suite"} "${missing[@]}" >&2 ||
    { apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends ${suite:+-t "$suite"} "${missing[@]}" >&2; }; } ||
    berth_say "could not install ${missing[*]}: Fargate tasks get the userns boundary, not gVisor"
  return 0
}

# The JavaScript copy of src/ (src/cli/js-build.ts says why), under node_modules/ where
# git, eslint and tsc do not look, and which `npm ci` renews with the dependencies.
BERTH_JS_DIR="$BERTH_ROOT/node_modules/.cache/berth-js"

# berth_js_build NODE: prints the entry point of the JavaScript copy of src/, rebuilt
# when anything under src/ changed (~0.2 s, ~0.8 s with a cold page cache). The check is
# a checksum of the listing of src/ (paths, sizes, mtimes), so edits, deletions, renames
# and checkouts all count; it costs ~5 ms. Where the copy cannot be written (a read-only
# checkout), or the build fails, it prints the TypeScript sources' entry point instead.
berth_js_build() {
  local node=$1 out=$BERTH_JS_DIR sum
  sum=$(cd "$BERTH_ROOT" && find src -printf '%p %s %T@\n' | md5sum)
  if [ "$(cat "$out/.source-sum" 2>/dev/null)" != "$sum" ]; then
    if ! { mkdir -p "${out%/*}" && : >>"$out.lock"; } 2>/dev/null || ! berth_js_rebuild "$node" "$out" "$sum" 9>>"$out.lock"; then
      berth_say "could not build $out; running the TypeScript sources"
      printf '%s\n' "$BERTH_ROOT/src/cli/main.ts"; return 0
    fi
  fi
  printf '%s\n' "$out/cli/main.js"
}

# One build at a time, under the lock on fd 9 (bin/bench starts berth up and berth agent
# close together). The checksum was taken before the build, so an edit made meanwhile
# is rebuilt the next time.
berth_js_rebuild() {
  local node=$1 out=$2 sum=$3
  flock 9 || return 1
  [ "$(cat "$out/.source-sum" 2>/dev/null)" = "$sum" ] && return 0
  berth_say "building the JavaScript of src/ (it changed) into ${out#"$BERTH_ROOT"/}"
  rm -rf "$out.tmp" &&
    "$node" --disable-warning=ExperimentalWarning "$BERTH_ROOT/src/cli/js-build.ts" "$BERTH_ROOT/src" "$out.tmp" &&
    printf '%s\n' "$sum" >"$out.tmp/.source-sum" &&
    rm -rf "$out" && mv "$out.tmp" "$out"
}
