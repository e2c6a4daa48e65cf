#!/usr/bin/env bash
# Offline update: run the NEW bundle's script with the installed folder:
#   /media/onsite-0.2.0/scripts/update.sh /opt/onsite
# Checks the new bundle, loads its images, backs up the database, switches
# the installation to the new version and waits for health; when health does
# not come, puts back the previous images, compose files and database.
set -euo pipefail
new=$(cd "$(dirname "$0")/.." && pwd)
. "$new/scripts/lib.sh"

install=${1:-}
[ -n "$install" ] && [ -f "$install/.env" ] || die "usage: $new/scripts/update.sh INSTALL_DIR (the folder with the running installation's .env)"
install=$(cd "$install" && pwd)
timeout=${UPDATE_HEALTH_TIMEOUT:-180}
need_docker
verify_sums "$new"
version=$(cat "$new/VERSION")
previous=$(env_value "$install/.env" ONSITE_VERSION)
[ -n "$previous" ] || die "$install/.env has no ONSITE_VERSION"
[ "$previous" != "$version" ] || die "$install already runs $version"

say "loading the images of $version"
docker load -q -i "$new/images/onsite-${version}.tar" >/dev/null
docker run --rm --user 0:0 --network none -v "$new:/bundle:ro" -v onsite_ollama:/ollama -v "$(docker_socket):/var/run/docker.sock" \
  "onsite:${version}" init --bundle /bundle --ollama-dir /ollama --images-only

cd "$install"
say "backing up the database (onsite backup)"
backup=$(compose exec -T server /usr/local/bin/onsite backup | sed -n 's/^.*\(\/var\/lib\/onsite\/backups\/[^ ]*\.db\).*$/\1/p' | tail -n 1)
[ -n "$backup" ] || die "the backup did not report its file; nothing was changed"
say "backup: $backup"

say "switching $install from $previous to $version"
mkdir -p .previous
cp docker-compose*.yml .env .previous/
cp "$new"/docker-compose*.yml .
sed -i "s/^ONSITE_VERSION=.*/ONSITE_VERSION=${version}/" .env
missing=$(missing_images)
if [ -n "$missing" ]; then
  cp .previous/docker-compose*.yml .previous/.env .
  die "these images are not loaded, so nothing was changed: $(echo "$missing" | tr '\n' ' ')(the bundle lacks them, or COMPOSE_FILE in .env names another file)"
fi
# Compose 1.29 fails `up` when a service it waits on turns unhealthy; the health wait below decides.
compose up -d --remove-orphans || say "compose up reported a problem; waiting for health to decide"

if wait_healthy "$timeout"; then
  say "$version is up and healthy (backup kept at $backup)"
  exit 0
fi

say "$version did not become healthy within ${timeout}s: rolling back to $previous"
compose logs --no-color --tail 50 server >&2 || true
cp .previous/docker-compose*.yml .previous/.env .
compose stop server
compose run --rm --no-deps -T server restore "$backup"
compose up -d --remove-orphans
wait_healthy "$timeout" || die "rollback to $previous did not become healthy either; see 'docker compose logs' and docs/troubleshooting.md"
die "update to $version failed and was rolled back: $previous runs again with the data from $backup"
