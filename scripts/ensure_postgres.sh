#!/usr/bin/env bash
# Make sure the local PostgreSQL the tests use answers on 127.0.0.1:5432; start it if not.
# A missing server is a failure, never a reason to skip the PostgreSQL tests.
set -euo pipefail
host=127.0.0.1 port=5432
ready() { pg_isready -q -h "$host" -p "$port" 2>/dev/null; }
if ! ready; then
  if ! command -v pg_ctlcluster >/dev/null || [ ! -d /etc/postgresql ]; then
    echo "PostgreSQL is not running on $host:$port and pg_ctlcluster is not available" >&2
    exit 1
  fi
  echo "starting PostgreSQL ..."
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
  for _ in $(seq 1 30); do ready && break; sleep 1; done
fi
if ! ready; then
  echo "PostgreSQL did not come up on $host:$port" >&2
  exit 1
fi
psql -h "$host" -p "$port" -U postgres -d test -qAtc "select 1" >/dev/null
echo "PostgreSQL is up on $host:$port"
