# Shared by the operator scripts (sourced, not run). Keeps each script thin.

die() { echo "$(basename "$0"): $*" >&2; exit 1; }
say() { echo "==> $*"; }

# `docker compose` (v2) when present, else `docker-compose` (1.29).
compose() {
  if docker compose version >/dev/null 2>&1; then docker compose "$@"; else docker-compose "$@"; fi
}

need_docker() {
  command -v docker >/dev/null 2>&1 || die "docker is required: install Docker Engine (and Compose) and try again"
  docker info >/dev/null 2>&1 || die "cannot reach the Docker engine: is it running, and may this user use it (sudo, or the docker group)?"
  docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1 || die "Docker Compose is required: the compose plugin (docker compose) or docker-compose 1.29"
}

# The Docker socket to hand to `onsite init` (honours DOCKER_HOST=unix://…).
docker_socket() {
  case "${DOCKER_HOST:-}" in
    unix://*) echo "${DOCKER_HOST#unix://}" ;;
    "") echo /var/run/docker.sock ;;
    *) die "DOCKER_HOST=${DOCKER_HOST} is not a local socket; run this script on the Docker host itself" ;;
  esac
}

# Images the compose files name that the engine does not have. Compose would
# try to pull them, which on an air-gapped site only fails late and noisily.
missing_images() {
  compose config 2>/dev/null | sed -n 's/^ *image: *//p' | sort -u | while read -r image; do
    docker image inspect "$image" >/dev/null 2>&1 || echo "$image"
  done
}

# A value from an env file (KEY=value lines), empty when absent.
env_value() {
  sed -n "s/^$2=//p" "$1" | tail -n 1
}

# Waits until the server container reports healthy and /health/ready answers; returns 1 on timeout.
wait_healthy() {
  local timeout="$1" started id status
  started=$(date +%s)
  while :; do
    id=$(compose ps -q server 2>/dev/null || true)
    status=$( [ -n "$id" ] && docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$id" 2>/dev/null || echo missing)
    if [ "$status" = healthy ] && compose exec -T server /usr/local/bin/onsite healthcheck http://127.0.0.1:8000/health/ready >/dev/null 2>&1; then
      return 0
    fi
    [ $(( $(date +%s) - started )) -ge "$timeout" ] && return 1
    sleep 3
  done
}
