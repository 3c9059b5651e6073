#!/usr/bin/env bash
# Installs what `npm test` needs beyond `npm ci`, on a clean Debian 12 (bookworm) machine with Node 20:
#   apt: chromium (the browser the integration and e2e suites drive), ripgrep (stands in for the
#        ripgrep download code-server would make), build-essential and libkrb5-dev (code-server's
#        native modules are compiled on install);
#   code-server 4.100.3 in .cache/code-server (see install-code-server.sh).
# Idempotent: installed packages and an installed code-server are skipped.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
started=$SECONDS

sudo=""
if [[ "$(id -u)" != 0 ]]; then sudo="sudo"; fi

missing=()
for pkg in chromium build-essential libkrb5-dev ripgrep python3-numpy; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "apt: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
echo "apt packages ready after $((SECONDS - started)) s"

"$here/install-code-server.sh"
echo "test prerequisites ready after $((SECONDS - started)) s"
