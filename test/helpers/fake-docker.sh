#!/usr/bin/env bash
# The docker CLI as the operator scripts call it (test/helpers/fake-docker-cli.ts
# puts it first on PATH). Every call is logged; volumes and loaded images are
# folders and files under $FAKE_DOCKER, shared with the fake Engine API that
# `onsite init` talks to; `run … init` runs the real init
# (test/helpers/fake-onsite.ts) with the container's mounts mapped to host
# folders. Anything else fails with 97, so an unexpected call shows.
set -u
printf '%s\n' "$*" >>"$FAKE_DOCKER/calls.log"
case "$1" in
  info) exit 0 ;;
  compose) [ "${2:-}" = version ] && exit 0 ;;
  volume)
    case "$2" in
      inspect) [ -d "$FAKE_DOCKER/volumes/$3" ]; exit ;;
      create) mkdir -p "$FAKE_DOCKER/volumes/${@: -1}"; echo "${@: -1}"; exit 0 ;;
    esac ;;
  image) [ "$2" = inspect ] && { [ -e "$FAKE_DOCKER/images/$3" ]; exit; } ;;
  load) shift; while [ $# -gt 0 ]; do [ "$1" = -i ] && cp "$2" "$FAKE_DOCKER/images/loaded-$(basename "$2")"; shift; done; exit 0 ;;
  run)
    shift; env=()
    while [ $# -gt 0 ]; do
      case "$1" in
        --rm) shift ;;
        --user | --network) shift 2 ;;
        -e) env+=("$2"); shift 2 ;;
        -v) case "$2" in
              *:/bundle | *:/bundle:ro) bundle=${2%:/bundle*} ;;
              onsite_ollama:/ollama) mkdir -p "$FAKE_DOCKER/volumes/onsite_ollama"; ollama=$FAKE_DOCKER/volumes/onsite_ollama ;;
            esac; shift 2 ;;
        *) break ;;
      esac
    done
    image=$1; shift
    echo "ran $image" >>"$FAKE_DOCKER/calls.log"
    args=()
    for a in "$@"; do case "$a" in /bundle) args+=("$bundle") ;; /ollama) args+=("$ollama") ;; *) args+=("$a") ;; esac; done
    exec env ${env[@]+"${env[@]}"} "$FAKE_NODE" "$FAKE_TSX" "$FAKE_ONSITE" "${args[@]}" --docker-socket "$FAKE_DOCKER/docker.sock" ;;
esac
echo "fake docker: unexpected call: docker $*" >&2
exit 97
