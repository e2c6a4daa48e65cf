#!/usr/bin/env bash
# Offline update, run by the INSTALLED script with the new bundle's folder:
#   /opt/onsite/scripts/update.sh /media/onsite-0.2.0
# The installed onsite (the image of the version now running) verifies the new
# bundle before any file of it runs: the signature over SHA256SUMS against the
# keys compiled into it, that SHA256SUMS lists every file, every hash; then it
# loads the new images. This script then backs up the database, switches the
# compose files (by the names the signed SHA256SUMS lists) and .env to the new
# version and waits for health; when health does not come, puts back the
# previous images, compose files and database.
set -euo pipefail
install=$(cd "$(dirname "$0")/.." && pwd)
. "$install/scripts/lib.sh"

new=${1:-}
[ -n "$new" ] && [ -d "$new" ] || die "usage: $install/scripts/update.sh NEW_BUNDLE_DIR (the installed script, with the extracted new bundle)"
new=$(cd "$new" && pwd)
if [ ! -f "$install/.env" ] && [ -f "$new/.env" ]; then
  die "this is the new bundle's own script: run the installed one, whose onsite verifies the new bundle first: $new/scripts/update.sh $install"
fi
[ -f "$install/.env" ] || die "$install has no .env: run the update script of the installation (the folder where scripts/init.sh ran)"
[ "$new" != "$install" ] || die "$new is the installation itself: extract the new bundle elsewhere (not over it)"
[ -f "$new/VERSION" ] && [ -f "$new/SHA256SUMS" ] || die "$new is not an extracted Onsite bundle (VERSION or SHA256SUMS is missing)"
timeout=${UPDATE_HEALTH_TIMEOUT:-180}
[[ "$timeout" =~ ^[0-9]{1,5}$ ]] || die "UPDATE_HEALTH_TIMEOUT is a number of seconds"
need_docker
version=$(cat "$new/VERSION")
[[ "$version" =~ ^[A-Za-z0-9_.-]{1,64}$ ]] || die "$new/VERSION holds no version"
previous=$(env_value "$install/.env" ONSITE_VERSION)
[[ "$previous" =~ ^[A-Za-z0-9_.-]{1,64}$ ]] || die "$install/.env has no ONSITE_VERSION"
[ "$previous" != "$version" ] || die "$install already runs $version"
docker image inspect "onsite:${previous}" >/dev/null 2>&1 \
  || die "the installed image onsite:${previous}, which verifies the new bundle, is missing: load it again (scripts/init.sh in $install) and retry; nothing was changed"

say "verifying $version with the installed onsite $previous, then loading its images"
docker run --rm --user 0:0 --network none -v "$new:/bundle:ro" -v onsite_ollama:/ollama -v "$(docker_socket):/var/run/docker.sock" \
  "onsite:${previous}" init --bundle /bundle --ollama-dir /ollama --images-only \
  || die "the installed onsite $previous refused the bundle in $new (see above): nothing was changed"
# The compose files, by the names the verified SHA256SUMS lists (never by a wildcard).
names=$(sed -n 's/^[0-9a-f]\{64\}  \(docker-compose[A-Za-z0-9._-]*\.yml\)$/\1/p' "$new/SHA256SUMS")
[ -n "$names" ] || die "$new/SHA256SUMS lists no compose file: nothing was changed"

cd "$install"
say "backing up the database (onsite backup)"
backup=$(compose exec -T server /usr/local/bin/onsite backup | sed -n 's/^.*\(\/var\/lib\/onsite\/backups\/[^ ]*\.db\).*$/\1/p' | tail -n 1) \
  || die "the backup failed (is the server running? docker compose ps); nothing was changed"
[ -n "$backup" ] || die "the backup did not report its file; nothing was changed"
say "backup: $backup"

# Puts back .env and the compose files as they were before the switch.
put_back() {
  local f
  for f in $(cat .previous/compose-files); do
    if [ -f ".previous/$f" ]; then cp ".previous/$f" "$f"; else rm -f "$f"; fi
  done
  cp .previous/.env .env
}

say "switching $install from $previous to $version"
rm -rf .previous
mkdir .previous
cp .env .previous/.env
printf '%s\n' $names >.previous/compose-files
for f in $names; do
  if [ -f "$f" ]; then cp "$f" ".previous/$f"; fi
  cp "$new/$f" "$f"
done
sed -i "s/^ONSITE_VERSION=.*/ONSITE_VERSION=${version}/" .env
missing=$(missing_images)
if [ -n "$missing" ]; then
  put_back
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
put_back
compose stop server
compose run --rm --no-deps -T server restore "$backup"
compose up -d --remove-orphans
wait_healthy "$timeout" || die "rollback to $previous did not become healthy either; see 'docker compose logs' and docs/troubleshooting.md"
die "update to $version failed and was rolled back: $previous runs again with the data from $backup"
