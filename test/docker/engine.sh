# Sourced by test/run.sh: a Docker engine for the bundle's end-to-end test.
# Starts dockerd when none answers (as root, with masquerading off so no
# container reaches beyond this machine, as on an air-gapped site), and makes
# the base image debian:bookworm-slim from Debian's packages with debootstrap
# when it is missing, so the real Dockerfiles build unchanged.
# Sets ONSITE_STARTED_DOCKERD to the PID it started, for the caller to stop.

docker_engine_up() {
  if docker info >/dev/null 2>&1; then
    echo "docker engine: already running"
  else
    [ "$(id -u)" = 0 ] || { echo "test/run.sh: no Docker engine answers and this is not root: start dockerd, or run as root" >&2; return 1; }
    command -v dockerd >/dev/null || { echo "test/run.sh: dockerd is missing (apt-get install docker.io)" >&2; return 1; }
    echo "docker engine: starting dockerd --ip-masq=false"
    dockerd --ip-masq=false >/tmp/onsite-dockerd.log 2>&1 &
    ONSITE_STARTED_DOCKERD=$!
    export ONSITE_STARTED_DOCKERD
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
    docker info >/dev/null 2>&1 || { echo "test/run.sh: dockerd did not start; see /tmp/onsite-dockerd.log" >&2; return 1; }
  fi
  if ! docker image inspect debian:bookworm-slim >/dev/null 2>&1; then
    command -v debootstrap >/dev/null || { echo "test/run.sh: debootstrap is missing (apt-get install debootstrap)" >&2; return 1; }
    echo "docker engine: making debian:bookworm-slim with debootstrap (about 30 s)"
    local rootfs
    rootfs=$(mktemp -d /tmp/onsite-rootfs.XXXXXX)
    debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >/tmp/onsite-debootstrap.log 2>&1 \
      || { echo "test/run.sh: debootstrap failed; see /tmp/onsite-debootstrap.log" >&2; return 1; }
    # What the official slim image leaves out too: downloaded packages and lists.
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -c . | docker import - debian:bookworm-slim >/dev/null
    rm -rf "$rootfs"
  fi
}

docker_engine_down() {
  if [ -n "${ONSITE_STARTED_DOCKERD:-}" ]; then
    kill "$ONSITE_STARTED_DOCKERD" 2>/dev/null || true
    wait "$ONSITE_STARTED_DOCKERD" 2>/dev/null || true
  fi
}
