# Sourced by test/run.sh: a Docker engine for the bundle's end-to-end test.
# Starts dockerd when none answers (as root, with masquerading off so no
# container reaches beyond this machine, as on an air-gapped site), and makes
# the base image debian:bookworm-slim from Debian's packages with debootstrap
# when it is missing, so the real Dockerfiles build unchanged.
# Sets ONSITE_STARTED_DOCKERD to the PID it started, for the caller to stop.
# The Debian mirror comes from this machine's own apt sources: no mirror or
# registry host is written in this repository.

# Prints the first URI of an enabled `deb` source for SUITE in the apt sources
# under APT_DIR (default /etc/apt): sources.list and sources.list.d/*.list in
# the one-line format, sources.list.d/*.sources in the deb822 format.
apt_mirror() {
  local suite="$1" dir="${2:-/etc/apt}" f
  {
    for f in "$dir/sources.list" "$dir"/sources.list.d/*.list; do
      [ -f "$f" ] || continue
      awk -v s="$suite" '
        $1 == "deb" {
          i = 2
          if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
          if ($(i + 1) == s) print $i
        }' "$f"
    done
    for f in "$dir"/sources.list.d/*.sources; do
      [ -f "$f" ] || continue
      awk -v s="$suite" '
        function flush(n, u) {
          if ((" " types " ") ~ / deb / && enabled != "no" && (" " suites " ") ~ (" " s " ")) { n = split(uris, u, " "); if (n) print u[1] }
          types = uris = suites = enabled = cur = ""
        }
        /^#/ { next }
        /^[ \t]*$/ { flush(); next }
        /^[ \t]/ { v = $0; sub(/^[ \t]+/, "", v); if (cur == "uris") uris = uris " " v; else if (cur == "suites") suites = suites " " v; next }
        /^[A-Za-z-]+:/ {
          cur = tolower(substr($0, 1, index($0, ":") - 1)); v = substr($0, index($0, ":") + 1); sub(/^[ \t]+/, "", v); sub(/[ \t]+$/, "", v)
          if (cur == "types") types = v; else if (cur == "uris") uris = v; else if (cur == "suites") suites = v; else if (cur == "enabled") enabled = tolower(v)
        }
        END { flush() }' "$f"
    done
  } | grep -E '^(https?://|file:/)' | head -n 1
}

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
    local rootfs mirror
    mirror=$(apt_mirror bookworm)
    [ -n "$mirror" ] || { echo "test/run.sh: no Debian bookworm mirror in this machine's apt sources (/etc/apt/sources.list, sources.list.d/): debootstrap needs one" >&2; return 1; }
    echo "docker engine: making debian:bookworm-slim with debootstrap from this machine's apt mirror (about 30 s)"
    rootfs=$(mktemp -d /tmp/onsite-rootfs.XXXXXX)
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >/tmp/onsite-debootstrap.log 2>&1 \
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
