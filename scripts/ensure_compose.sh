#!/usr/bin/env bash
# CI: make sure a Compose CLI exists so the deployment test validates docker-compose.yml
# with the real tool instead of skipping. `docker compose config` needs no Docker engine.
# Debian ships Compose v1 (docker-compose 1.29); it validates the same file format.
set -euo pipefail
if docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null; then
  exit 0
fi
if ! command -v apt-get >/dev/null || [ "$(id -u)" != 0 ]; then
  echo "no Compose CLI, and no root apt-get to install Debian's docker-compose" >&2
  exit 1
fi
echo "installing Debian's docker-compose ..."
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q docker-compose >/dev/null 2>&1 || {
  apt-get update -q >/dev/null && apt-get install -y -q docker-compose >/dev/null
}
docker-compose version --short
