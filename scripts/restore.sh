#!/usr/bin/env bash
# Replaces the database with a backup (checked before use), with the server
# stopped, then starts it again.
# Usage: scripts/restore.sh backups/onsite-….db
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
need_docker
src=${1:-}
[ -n "$src" ] && [ -f "$src" ] || die "usage: scripts/restore.sh BACKUP_FILE"
name=$(basename "$src")
say "stopping the server"
compose stop server
id=$(compose ps -q server)
[ -n "$id" ] || die "no server container: run 'docker compose up -d' once first"
docker cp "$src" "$id:/var/lib/onsite/backups/$name"
compose run --rm --no-deps -T server restore "/var/lib/onsite/backups/$name"
compose up -d
wait_healthy "${RESTORE_HEALTH_TIMEOUT:-120}" || die "the server did not become healthy after the restore; see 'docker compose logs server'"
say "restored $name; the server is healthy"
