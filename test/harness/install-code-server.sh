#!/usr/bin/env bash
# Installs code-server (VS Code 1.100.3 served to a browser) into .cache/code-server, away from the
# project's node_modules: it is a test tool with ~1000 packages of its own, and desktop VS Code cannot
# be downloaded on machines that only reach the npm registry.
#
# Idempotent: a marker file written after a verified install makes later runs return at once.
# Needs: Node 20 (code-server refuses others), build-essential, libkrb5-dev, ripgrep (scripts/test-setup.ts
# installs them first when `npm test` runs it).
set -euo pipefail

VERSION=4.100.3
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PREFIX="${CODE_SERVER_PREFIX:-$ROOT/.cache/code-server}"
MARKER="$PREFIX/installed-$VERSION"
VSCODE="$PREFIX/node_modules/code-server/lib/vscode"

if [[ -f "$MARKER" ]]; then
  echo "code-server $VERSION already installed in $PREFIX"
  exit 0
fi

node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [[ "$node_major" != 20 ]]; then
  echo "code-server $VERSION needs Node 20; this is Node $(node -v)." >&2
  exit 1
fi
if ! command -v rg >/dev/null; then
  echo "ripgrep (rg) is missing: apt-get install ripgrep" >&2
  exit 1
fi

started=$SECONDS
mkdir -p "$PREFIX/tmp"
# A throwaway TMPDIR keeps the ripgrep cache and node-gyp scratch files out of the system /tmp.
export TMPDIR="$PREFIX/tmp"

# @vscode/ripgrep's postinstall downloads rg from GitHub unless its cache already holds the asset.
# Debian's rg (13.0.0) is the same release, so a tarball of it stands in for the download.
rg_cache="$TMPDIR/vscode-ripgrep-cache-1.15.11"
mkdir -p "$rg_cache"
tar czf "$rg_cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$(dirname "$(command -v rg)")" rg

# code-server's postinstall runs nested `npm install`s in lib/vscode and lib/vscode/extensions, whose
# native modules must build. npm 11 skips dependency install scripts unless approved, and it refuses
# an approval list that reaches a nested install through the environment. So: install with only
# argon2's script approved (code-server's own is denied), then run code-server's postinstall here, so
# its nested installs are top-level npm runs that read the approval list from a global npmrc.
cat >"$PREFIX/package.json" <<'JSON'
{
  "private": true,
  "allowScripts": { "argon2": true, "code-server": false }
}
JSON
npmrc="$PREFIX/npmrc"
{
  global="$(npm config get globalconfig)"
  [[ -f "$global" ]] && cat "$global"
  echo
  echo "allow-scripts=@parcel/watcher,@vscode/deviceid,@vscode/ripgrep,@vscode/spdlog,kerberos,native-watchdog,node-pty,esbuild"
} >"$npmrc.new"
mv "$npmrc.new" "$npmrc"

# code-server's postinstall insists on unsafe-perm when npm runs as root.
export npm_config_unsafe_perm=true npm_config_yes=true

# node-gyp would download Node headers from nodejs.org; use the installed ones when present.
node_home="$(dirname "$(dirname "$(command -v node)")")"
if [[ -z "${npm_config_nodedir:-}" && -f "$node_home/include/node/node_api.h" ]]; then
  export npm_config_nodedir="$node_home"
fi

echo "Installing code-server $VERSION into $PREFIX (several minutes)..."
npm install --prefix "$PREFIX" --no-audit --no-fund --loglevel=warn "code-server@$VERSION"
(
  cd "$PREFIX/node_modules/code-server"
  export npm_config_globalconfig="$npmrc"
  # postinstall.sh picks npm over yarn, and checks the Node version, from this variable.
  export npm_config_user_agent="npm/$(npm -v) node/$(node -v) linux x64"
  sh ./postinstall.sh
)

# npm reports success even when a skipped install script left a native module unbuilt: load each.
(
  cd "$VSCODE"
  node -e '
    const mods = ["node-pty", "@vscode/spdlog", "kerberos", "native-watchdog", "@parcel/watcher"];
    for (const m of mods) require(m);
    const rg = require("@vscode/ripgrep").rgPath;
    require("fs").accessSync(rg, require("fs").constants.X_OK);
    console.log("native modules load:", mods.join(", "), "and", rg);
  '
)
(cd "$PREFIX/node_modules/code-server" && node -e 'require("argon2"); console.log("argon2 loads")')

rm -rf "$TMPDIR"
echo "$VERSION installed in $((SECONDS - started)) s" | tee "$MARKER"
