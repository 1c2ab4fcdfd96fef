#!/usr/bin/env bash
# Installs the servers n8n's queue mode needs, from Debian's packages, once: PostgreSQL (n8n's
# database) and Redis (its job queue). Nothing is started here and no system service is left
# running: the stacks start their own Postgres and Redis on 127.0.0.1, with data under .e2e/.
set -euo pipefail
have_postgres() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }
have_redis() { command -v redis-server >/dev/null 2>&1; }
if have_postgres && have_redis; then
	exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null 2>&1 || { echo "installing postgresql and redis-server needs root or sudo" >&2; exit 1; }
	SUDO="sudo"
fi
# A policy-rc.d that says "no" keeps the packages' own services from starting (we start ours).
policy=/usr/sbin/policy-rc.d
added_policy=""
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
	$SUDO chmod +x "$policy"
	added_policy=1
fi
trap '[ -n "$added_policy" ] && $SUDO rm -f "$policy"' EXIT
echo "installing postgresql and redis-server from Debian's packages..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postgresql redis-server >/dev/null
have_postgres && have_redis
