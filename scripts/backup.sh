#!/usr/bin/env bash
# Writes a verified online backup of the database (the server keeps running)
# and copies it out of the data volume into ./backups/.
# Usage: scripts/backup.sh    (from the installation folder or anywhere)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
need_docker
file=$(compose exec -T server /usr/local/bin/onsite backup | sed -n 's/^.*\(\/var\/lib\/onsite\/backups\/[^ ]*\.db\).*$/\1/p' | tail -n 1)
[ -n "$file" ] || die "the backup did not report its file"
mkdir -p backups
docker cp "$(compose ps -q server):$file" "backups/$(basename "$file")"
chmod 600 "backups/$(basename "$file")"
say "backup written: backups/$(basename "$file") (also kept in the data volume at $file)"
