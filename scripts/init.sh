#!/usr/bin/env bash
# Onsite first-time setup, safe to rerun: checks the bundle, loads its images,
# imports its models and writes .env (secrets, TLS, bootstrap token). The work
# is done by `onsite init` inside the onsite image; this wrapper only checks
# the bundle before anything is loaded and hands `onsite init` the folder.
# Usage: scripts/init.sh [--host NAME]...   (run from anywhere)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

need_docker
[ -f VERSION ] || die "VERSION is missing: run this from an extracted Onsite bundle"
verify_sums .
version=$(cat VERSION)

say "loading the onsite image (onsite:${version})"
docker load -q -i "images/onsite-${version}.tar" >/dev/null

# The models volume, labelled as Compose labels its own so `up` adopts it quietly.
docker volume create --label com.docker.compose.project=onsite --label com.docker.compose.volume=ollama-models onsite_ollama >/dev/null

socket=$(docker_socket)
exec docker run --rm --user 0:0 --network none \
  -v "$PWD:/bundle" -v onsite_ollama:/ollama -v "$socket:/var/run/docker.sock" \
  -e HOST_UID="$(id -u)" -e HOST_GID="$(id -g)" \
  "onsite:${version}" init --bundle /bundle --ollama-dir /ollama "$@"
