#!/usr/bin/env bash
# Lints the API in proto/ with buf (rules: proto/buf.yaml, STANDARD).
#
#   scripts/lint-proto.sh
#
# buf comes from npm (@bufbuild/buf, pinned below) and is installed into
# tools/node_modules/ (git-ignored) the first time, or when the installed
# version differs from the pin. Exits with buf's status: 0 when the protos are
# lint-clean, non-zero with one line per finding otherwise.
set -euo pipefail

readonly BUF_VERSION="1.75.0"

root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/tools"
buf="$tools/node_modules/.bin/buf"

installed_version() {
  [[ -x "$buf" ]] || return 0
  "$buf" --version 2>/dev/null || true
}

if [[ "$(installed_version)" != "$BUF_VERSION" ]]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "lint-proto.sh: npm is not installed; buf ${BUF_VERSION} is installed with npm." >&2
    echo "  Install Node.js and npm first (Debian/Ubuntu: sudo apt-get install -y nodejs npm)," >&2
    echo "  then run this script again." >&2
    exit 1
  fi
  echo "lint-proto.sh: installing @bufbuild/buf@${BUF_VERSION} into ${tools}/node_modules" >&2
  mkdir -p "$tools"
  # --no-save and --no-package-lock: only tools/node_modules/ is written.
  npm install --prefix "$tools" --no-save --no-package-lock --no-audit --no-fund \
    --loglevel=error "@bufbuild/buf@${BUF_VERSION}" >&2
  if [[ "$(installed_version)" != "$BUF_VERSION" ]]; then
    echo "lint-proto.sh: expected buf ${BUF_VERSION} at ${buf}, found '$(installed_version)'" >&2
    exit 1
  fi
fi

# buf.yaml in proto/ makes proto/ the module root; buf's status is ours.
cd "$root/proto"
status=0
"$buf" lint || status=$?
if [[ $status -eq 0 ]]; then
  echo "lint-proto.sh: buf ${BUF_VERSION} lint: proto/ is clean" >&2
fi
exit "$status"
