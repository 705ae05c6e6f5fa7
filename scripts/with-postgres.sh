#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL 15 server: initdb into a temporary folder,
# listen on a free loopback port, export DAICHO_DATABASE_URL, stop and delete it afterwards.
set -euo pipefail
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)}
[ -x "$PGBIN/initdb" ] || { echo "PostgreSQL binaries not found (run scripts/system-deps.sh)" >&2; exit 1; }
dir=$(mktemp -d /tmp/daicho-pg.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  # PostgreSQL refuses to run as root.
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown postgres "$dir"
  as_pg=(runuser -u postgres --)
fi
cleanup() {
  "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
"${as_pg[@]}" "$PGBIN/initdb" -D "$dir/data" -U daicho --auth=trust --encoding=UTF8 \
  --locale=C.UTF-8 >/dev/null
"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o \
  "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null
"$PGBIN/createdb" -h 127.0.0.1 -p "$port" -U daicho daicho
export DAICHO_DATABASE_URL="postgresql://daicho@127.0.0.1:$port/daicho"
export DAICHO_PG_PORT=$port
echo "PostgreSQL on 127.0.0.1:$port"
"$@"
