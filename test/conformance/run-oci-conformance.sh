#!/usr/bin/env bash
# Runs one release of the OCI distribution-spec conformance suite against Berth's
# registry, with registry auth on and off, and prints the pass/fail/skip counts of each.
# Not part of bin/test: it needs a fetched snapshot of the suite (see README.md here).
#
# Usage: test/conformance/run-oci-conformance.sh SPEC VERSION [both|auth|noauth|reference]
#   SPEC     a clone (or bare git directory) of github.com/opencontainers/distribution-spec
#   VERSION  a tag or branch in it: v1.0.0, v1.0.1, v1.1.0, v1.1.1, main
#   both (default) runs Berth with registry auth off, then on; `reference` runs the suite
#   against Debian's docker-registry (distribution 2.8) instead, for comparison.
# Environment:
#   REGGIE        a clone (or bare git directory) of github.com/bloodorangeio/reggie, the
#                 HTTP client the suites before main are written with (not in Debian)
#   OCI_CONF_WORK where suites are built, cached per commit, and run
#                 (default /var/tmp/oci-conformance; nothing is written into the tree)
#   OCI_*         passed on to the suite (e.g. OCI_VERSION=dev for main's next-spec tests)
# Needs git, curl, python3 (a free port) and, for auth runs, the aws CLI.
#
# The suite is Go; the module proxy may be unreachable, so it is built from Debian's Go
# and Debian's golang-*-dev sources in GOPATH mode (go.mod ignored), Go 1.24 library calls
# of newer suites backported by a small generated file. Exit status: 0 when every run has
# 0 failures.
set -euo pipefail

BERTH_ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
USAGE='usage: run-oci-conformance.sh SPEC_CHECKOUT VERSION [both|auth|noauth|reference]'
SPEC=${1:?$USAGE}
VERSION=${2:?$USAGE}
MODES=${3:-both}
WORK=${OCI_CONF_WORK:-/var/tmp/oci-conformance}
GO_PACKAGE=golang-1.23   # the newest Go in bookworm-backports (Debian 12's own is 1.19)
GOROOT_DIR=/usr/lib/go-1.23
# Seconds to wait for `berth up` to answer (the first start also builds Berth's JavaScript).
START_TIMEOUT=120

say() { printf 'oci-conformance: %s\n' "$*" >&2; }
die() { say "$*"; exit 2; }

case "$MODES" in both) MODES="noauth auth" ;; auth|noauth|reference) ;; *) die "$USAGE" ;; esac
COMMIT=$(git -C "$SPEC" rev-parse --verify --quiet "$VERSION^{commit}") || die "$SPEC has no $VERSION (git -C $SPEC tag lists the releases)"

# --- Debian packages -------------------------------------------------------------------
# From bookworm-backports: Go 1.23, ginkgo v2 (with the gomega it needs) and image-spec 1.1.
BACKPORTS=("$GO_PACKAGE-go" golang-github-onsi-ginkgo-v2-dev golang-github-opencontainers-image-spec-dev)
# From bookworm: ginkgo v1 (suites v1.0.x) and the rest of the suites' imports.
MAIN_PACKAGES=(golang-ginkgo-dev golang-gomega-dev golang-github-google-uuid-dev
  golang-github-opencontainers-go-digest-dev golang-github-go-resty-resty-dev
  golang-github-asaskevich-govalidator-dev golang-github-mitchellh-mapstructure-dev
  golang-github-goccy-go-yaml-dev curl)

missing() { local p; for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || printf '%s\n' "$p"; done; }
install_packages() {
  local need_bpo need_main
  need_bpo=$(missing "${BACKPORTS[@]}")
  need_main=$(missing "${MAIN_PACKAGES[@]}")
  [ -z "$need_bpo$need_main" ] && return 0
  [ "$(id -u)" = 0 ] || die "missing Debian packages: $need_bpo $need_main (run as root)"
  export DEBIAN_FRONTEND=noninteractive
  if [ -n "$need_bpo" ] && ! apt-cache policy "$GO_PACKAGE-go" | grep -q 'Candidate: [0-9]'; then
    if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
      say "adding bookworm-backports to apt's sources (/etc/apt/sources.list.d/bookworm-backports.sources)"
      printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        >/etc/apt/sources.list.d/bookworm-backports.sources
    fi
    apt-get update -qq >&2
  fi
  # shellcheck disable=SC2086 # one package name per word
  [ -z "$need_bpo" ] || { say "installing from bookworm-backports:" $need_bpo; apt-get install -y -qq -t bookworm-backports $need_bpo >&2; }
  # shellcheck disable=SC2086
  [ -z "$need_main" ] || { say "installing:" $need_main; apt-get install -y -qq $need_main >&2; }
}

# The reference registry, for comparison runs only.
install_reference() {
  [ -z "$(missing docker-registry)" ] && return 0
  [ "$(id -u)" = 0 ] || die "missing Debian package docker-registry (run as root)"
  say "installing: docker-registry"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry >&2
}

# --- build ------------------------------------------------------------------------------
BUILD="$WORK/build/$VERSION-${COMMIT:0:12}"
GOPATH_DIR="$BUILD/gopath"
SRC="$GOPATH_DIR/src/github.com/opencontainers/distribution-spec"
SUITE_BIN="$BUILD/conformance"

# Suites up to v1.1.x are ginkgo specs (go test -c); main is a program of its own.
if git -C "$SPEC" cat-file -e "$COMMIT:conformance/main.go" 2>/dev/null; then KIND=program; else KIND=ginkgo; fi

go_env() {
  export PATH="$GOROOT_DIR/bin:$PATH" GO111MODULE=off GOPATH="$GOPATH_DIR:/usr/share/gocode" \
    GOTOOLCHAIN=local GOFLAGS='' GOCACHE="$WORK/go-cache" CGO_ENABLED=0
}

# Go 1.24 added crypto/rand.Text and strings.SplitSeq; Debian 12 has Go 1.23 at most.
backport_go124() {
  local files
  files=$(grep -l -E 'rand\.Text\(\)|strings\.SplitSeq\(' "$SRC"/conformance/*.go || true)
  [ -n "$files" ] || return 0
  go version | grep -qE 'go1\.(2[4-9]|[3-9][0-9])' && return 0
  say "backporting Go 1.24 calls (rand.Text, strings.SplitSeq) in: ${files//$'\n'/ }"
  # shellcheck disable=SC2086
  sed -i 's/rand\.Text()/berthRandText()/g; s/strings\.SplitSeq(/berthSplitSeq(/g' $files
  local pkg
  pkg=$(sed -n 's/^package //p' "$SRC/conformance/main.go" | head -1)
  cat >"$SRC/conformance/zz_berth_go124_backport.go" <<EOF
// Generated by Berth's test/conformance/run-oci-conformance.sh for Go < 1.24.
package $pkg

import (
	"crypto/rand"
	"encoding/base32"
	"iter"
	"strings"
)

// berthRandText is crypto/rand.Text: 26 base32 characters, 128 bits of randomness.
func berthRandText() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)[:26]
}

// berthSplitSeq is strings.SplitSeq.
func berthSplitSeq(s, sep string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for _, part := range strings.Split(s, sep) {
			if !yield(part) {
				return
			}
		}
	}
}
EOF
}

# Suites v1.0.x set Image.Architecture and Image.OS of image-spec v1.0; from v1.1 (what
# Debian has) they are fields of the embedded Platform, so the literal names it. The JSON
# (a test config blob) is the same: embedded fields marshal at the top level.
backport_image_spec_platform() {
  grep -qE '^\s+Architecture: "amd64",$' "$SRC/conformance/setup.go" || return 0
  grep -qE '^\s+Platform$' /usr/share/gocode/src/github.com/opencontainers/image-spec/specs-go/v1/config.go || return 0
  say "backporting the image-spec v1.0 Image literal in setup.go to image-spec v1.1's embedded Platform"
  sed -i -E 's/^(\s+)Architecture: "amd64",$/\1Platform: imagespec.Platform{Architecture: "amd64", OS: "linux"},/; /^\s+OS: +"linux",$/d' "$SRC/conformance/setup.go"
}

build_suite() {
  [ -x "$SUITE_BIN" ] && { say "using the suite built before: $SUITE_BIN"; return 0; }
  install_packages
  go_env
  rm -rf "$BUILD" && mkdir -p "$SRC"
  git -C "$SPEC" archive "$COMMIT" | tar -x -C "$SRC"
  if [ "$KIND" = ginkgo ]; then
    local reggie_version
    reggie_version=$(awk '$1 == "github.com/bloodorangeio/reggie" { print $2 }' "$SRC/conformance/go.mod")
    [ -n "${REGGIE:-}" ] || die "set REGGIE to a clone of github.com/bloodorangeio/reggie: suite $VERSION needs reggie $reggie_version"
    mkdir -p "$GOPATH_DIR/src/github.com/bloodorangeio/reggie"
    git -C "$REGGIE" archive "$reggie_version" | tar -x -C "$GOPATH_DIR/src/github.com/bloodorangeio/reggie" ||
      die "$REGGIE has no tag $reggie_version"
    backport_image_spec_platform
    say "building $VERSION (${COMMIT:0:12}, ginkgo specs, reggie $reggie_version) with $(go version | cut -d' ' -f3)"
    (cd "$SRC/conformance" && go test -c -o "$SUITE_BIN.tmp" .)
  else
    backport_go124
    say "building $VERSION (${COMMIT:0:12}) with $(go version | cut -d' ' -f3)"
    (cd "$SRC/conformance" && go build -o "$SUITE_BIN.tmp" .)
  fi
  mv "$SUITE_BIN.tmp" "$SUITE_BIN"
}

# --- one run against a fresh berth up -----------------------------------------------------
BERTH_PID=
RUN_DIR=
cleanup() {
  if [ -n "$BERTH_PID" ]; then kill "$BERTH_PID" 2>/dev/null || true; wait "$BERTH_PID" 2>/dev/null || true; fi
  [ -z "$RUN_DIR" ] || rm -rf "$RUN_DIR"
  BERTH_PID='' RUN_DIR=''
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start_reference() { # sets PORT, BERTH_PID (the reference's), RUN_DIR
  RUN_DIR=$(mktemp -d "$WORK/run.XXXXXX")
  PORT=$(free_port)
  printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:%s\n' \
    "$RUN_DIR/data" "$PORT" >"$RUN_DIR/config.yml"
  docker-registry serve "$RUN_DIR/config.yml" >"$RUN_DIR/registry.log" 2>&1 &
  BERTH_PID=$!
  local i
  for ((i = 0; i < START_TIMEOUT * 10; i++)); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/v2/" || true)" = 200 ] && return 0
    kill -0 "$BERTH_PID" 2>/dev/null || { cat "$RUN_DIR/registry.log" >&2; die "docker-registry exited"; }
    sleep 0.1
  done
  die "docker-registry did not answer on port $PORT within ${START_TIMEOUT}s"
}

start_berth() { # $1: auth|noauth; sets PORT, BERTH_PID, RUN_DIR
  RUN_DIR=$(mktemp -d "$WORK/run.XXXXXX")
  PORT=$(free_port)
  local flags=(up --no-agent --port "$PORT" --data-dir "$RUN_DIR/data")
  [ "$1" = noauth ] && flags+=(--no-registry-auth)
  "$BERTH_ROOT/bin/berth" "${flags[@]}" >"$RUN_DIR/berth.log" 2>&1 &
  BERTH_PID=$!
  # An anonymous version check is what shows the mode is real: 401 with auth, 200 without.
  local i code want=200
  [ "$1" = auth ] && want=401
  for ((i = 0; i < START_TIMEOUT * 10; i++)); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/v2/" || true)
    [ "$code" = "$want" ] && return 0
    [ "$code" = 000 ] || die "berth up answered an anonymous GET /v2/ with $code, not $want"
    kill -0 "$BERTH_PID" 2>/dev/null || { cat "$RUN_DIR/berth.log" >&2; die "berth up exited"; }
    sleep 0.1
  done
  die "berth up did not answer on port $PORT within ${START_TIMEOUT}s"
}

login_password() {
  AWS_ACCESS_KEY_ID=conformance AWS_SECRET_ACCESS_KEY=conformance AWS_DEFAULT_REGION=us-east-1 \
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER='' \
    aws --endpoint-url "http://127.0.0.1:$PORT" ecr get-login-password
}

# junit_count FILE ATTR: a count from the first <testsuite> element of a junit report.
junit_count() { { grep -m1 '<testsuite ' "$1" 2>/dev/null || true; } | sed -nE "s/.* $2=\"([0-9]+)\".*/\1/p"; }

strip_colors() { sed 's/\x1b\[[0-9;]*m//g'; }

RESULTS=()
FAILED=0
run_once() { # $1: auth|noauth|reference
  local mode=$1
  local log="$WORK/results/$VERSION-$mode.log" user='' password='' passed failed skipped
  mkdir -p "$WORK/results"
  if [ "$mode" = reference ]; then
    install_reference
    start_reference
    say "running $VERSION against docker-registry $(dpkg-query -W -f='${Version}' docker-registry) on port $PORT"
  else
    start_berth "$mode"
    if [ "$mode" = auth ]; then user=AWS; password=$(login_password); fi
    say "running $VERSION, registry auth $([ "$mode" = auth ] && echo on || echo off), against berth up on port $PORT"
  fi
  mkdir -p "$RUN_DIR/out"
  local status=0
  if [ "$KIND" = ginkgo ]; then
    # OCI_AUTOMATIC_CROSSMOUNT=0: Berth mounts only from the repository `from` names (the
    # spec's 202 without it), and the suites (v1.1.x) check that answer when told so.
    (cd "$RUN_DIR/out" && env OCI_ROOT_URL="http://127.0.0.1:$PORT" OCI_NAMESPACE=conformance/repo \
      OCI_CROSSMOUNT_NAMESPACE=conformance/other OCI_USERNAME="$user" OCI_PASSWORD="$password" \
      OCI_TEST_PULL=1 OCI_TEST_PUSH=1 OCI_TEST_CONTENT_DISCOVERY=1 OCI_TEST_CONTENT_MANAGEMENT=1 \
      OCI_AUTOMATIC_CROSSMOUNT=0 OCI_HIDE_SKIPPED_WORKFLOWS=0 OCI_DEBUG=0 OCI_REPORT_DIR="$RUN_DIR/out" \
      "$SUITE_BIN" -ginkgo.v) >"$log.raw" 2>&1 || status=$?
    strip_colors <"$log.raw" >"$log" && rm -f "$log.raw"
    # ginkgo's summary: "SUCCESS! -- 74 Passed | 0 Failed | 0 Pending | 5 Skipped"
    local summary
    summary=$({ grep -E '[0-9]+ Passed \| [0-9]+ Failed' "$log" || true; } | tail -1)
    passed=$(sed -nE 's/.* ([0-9]+) Passed.*/\1/p' <<<"$summary")
    failed=$(sed -nE 's/.* ([0-9]+) Failed.*/\1/p' <<<"$summary")
    skipped=$(sed -nE 's/.* ([0-9]+) Skipped.*/\1/p' <<<"$summary")
  else
    # Every optional API Berth implements is switched on (upload cancel is off by default).
    (cd "$RUN_DIR/out" && env OCI_REGISTRY="127.0.0.1:$PORT" OCI_TLS=disabled \
      OCI_REPO1=conformance/repo1 OCI_REPO2=conformance/repo2 OCI_USERNAME="$user" OCI_PASSWORD="$password" \
      OCI_API_BLOBS_UPLOAD_CANCEL=true OCI_RESULTS_DIR="$RUN_DIR/out/results" \
      "$SUITE_BIN") >"$log" 2>&1 || status=$?
    cp "$RUN_DIR/out/results/junit.xml" "$WORK/results/$VERSION-$mode.junit.xml" 2>/dev/null || true
    # The suite's own counts, from its junit report: tests, failures, errors, skipped, disabled.
    local junit="$RUN_DIR/out/results/junit.xml" tests errors disabled
    tests=$(junit_count "$junit" tests); failed=$(junit_count "$junit" failures); errors=$(junit_count "$junit" errors)
    skipped=$(junit_count "$junit" skipped); disabled=$(junit_count "$junit" disabled)
    failed=$(( ${failed:-0} + ${errors:-0} )); skipped=$(( ${skipped:-0} + ${disabled:-0} ))
    [ -n "$tests" ] && passed=$(( tests - failed - skipped ))
  fi
  if [ -z "${passed:-}" ]; then
    tail -20 "$log" >&2
    passed='?' failed='?' skipped='?'
    FAILED=1
  elif [ "$failed" != 0 ] || [ "$status" != 0 ]; then
    FAILED=1
  fi
  local against="berth, auth off"
  [ "$mode" = auth ] && against="berth, auth on"
  [ "$mode" = reference ] && against="docker-registry"
  RESULTS+=("$(printf '%-8s %-12s %-17s %6s %6s %6s %5s' "$VERSION" "${COMMIT:0:12}" "$against" "$passed" "$failed" "$skipped" "$status")")
  cleanup
}

mkdir -p "$WORK"
build_suite
for m in $MODES; do run_once "$m"; done

printf '%-8s %-12s %-17s %6s %6s %6s %5s\n' version commit registry pass fail skip exit
printf '%s\n' "${RESULTS[@]}"
say "logs: $WORK/results/$VERSION-*.log"
exit "$FAILED"
