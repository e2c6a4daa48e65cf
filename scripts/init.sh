#!/usr/bin/env bash
# Onsite first-time setup, safe to rerun: checks the bundle, loads its images,
# imports its models and writes .env (secrets, TLS, bootstrap token).
#
# Before any other file of the bundle is run or loaded, this script checks it
# with stock tools: the vendor's Ed25519 signature over SHA256SUMS (OpenSSL 3,
# else ssh-keygen 8.1 or later), that SHA256SUMS lists every file here (only
# init's own .env, tls/ and record may sit beside them, and only once init
# wrote them), and every file's SHA-256. Then `onsite init`, inside the
# verified onsite image, checks it all again and writes .env and tls/.
#
# The keys below came inside the bundle, as this script did: check the
# archive's SHA-256 against the vendor's published value before trusting
# them, or check SHA256SUMS yourself with the key the vendor published
# (docs/verify.md). Without OpenSSL 3 or ssh-keygen this script refuses to go
# on unless you pass --archive-checked-by-hand, saying you checked the archive.
# Usage: scripts/init.sh [--archive-checked-by-hand] [--adopt-existing] [--host NAME]...
set -euo pipefail
cd "$(dirname "$0")/.."

# Each line: key id, PEM body (openssl), ssh-ed25519 key (ssh-keygen).
ONSITE_BUNDLE_KEYS=$(
  cat <<'KEYS'
# begin trusted keys (bundle/build-bundle.ts writes them in; none in the source tree)
# end trusted keys
KEYS
)
NAMESPACE=onsite-bundle
INIT_FILES='.env tls/ca.crt tls/ca.key tls/server.crt tls/server.key'

die() { echo "init.sh: $*" >&2; exit 1; }
say() { echo "==> $*"; }

by_hand=0 adopt=0 args=()
for a in "$@"; do
  case "$a" in
    --archive-checked-by-hand) by_hand=1 ;;
    --adopt-existing) adopt=1; args+=("$a") ;;
    *) args+=("$a") ;;
  esac
done
for f in VERSION SHA256SUMS SHA256SUMS.sig; do
  [ -f "$f" ] || die "$f is missing: run this from an extracted Onsite bundle"
done
command -v docker >/dev/null 2>&1 || die "docker is required: install Docker Engine (and Compose) and try again"
docker info >/dev/null 2>&1 || die "cannot reach the Docker engine: is it running, and may this user use it (sudo, or the docker group)?"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. The signature over SHA256SUMS, by a key written in above.
kid=$(sed -n 's/^{"format":"onsite-bundle-sig-v1","alg":"Ed25519","kid":"\([A-Za-z0-9_.-]*\)","sig":"[A-Za-z0-9_-]\{86\}"}$/\1/p' SHA256SUMS.sig)
[ -n "$kid" ] || die "SHA256SUMS.sig is not a bundle signature. Nothing was loaded."
key=$(printf '%s\n' "$ONSITE_BUNDLE_KEYS" | awk -v k="$kid" '$1 == k { print; exit }')
[ -n "$key" ] || die "SHA256SUMS.sig is signed with key \"$kid\", which this script does not trust: do not install this bundle, ask the vendor. Nothing was loaded."
refuse() { die "the signature by key \"$kid\" does not match SHA256SUMS ($1): the bundle was changed or not signed by the vendor. Nothing was loaded; do not install it."; }
checked=
if openssl version 2>/dev/null | grep -q '^OpenSSL [3-9]'; then
  printf -- '-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n' "$(echo "$key" | cut -d' ' -f2)" >"$work/key.pem"
  sed -n 's/.*"sig":"\([A-Za-z0-9_-]*\)".*/\1==/p' SHA256SUMS.sig | tr '_-' '/+' | base64 -d >"$work/sig"
  openssl pkeyutl -verify -pubin -inkey "$work/key.pem" -rawin -in SHA256SUMS -sigfile "$work/sig" >/dev/null 2>&1 || refuse "openssl pkeyutl -verify"
  checked="openssl pkeyutl"
elif command -v ssh-keygen >/dev/null 2>&1 && [ -f SHA256SUMS.sshsig ]; then
  echo "$NAMESPACE namespaces=\"$NAMESPACE\" ssh-ed25519 $(echo "$key" | cut -d' ' -f3)" >"$work/allowed"
  if out=$(ssh-keygen -Y verify -f "$work/allowed" -I "$NAMESPACE" -n "$NAMESPACE" -s SHA256SUMS.sshsig <SHA256SUMS 2>&1); then
    checked="ssh-keygen -Y verify"
  else
    # An ssh-keygen older than 8.1 has no -Y: then there is no stock tool here.
    case "$out" in *"illegal option"* | *"unknown option"* | *usage*) ;; *) refuse "ssh-keygen -Y verify" ;; esac
  fi
fi
if [ -n "$checked" ]; then
  say "SHA256SUMS is signed by bundle key \"$kid\" (checked with $checked)"
elif [ "$by_hand" = 1 ]; then
  say "SHA256SUMS's signature not checked here (no OpenSSL 3 or ssh-keygen 8.1): you checked the archive's SHA-256 by hand (--archive-checked-by-hand)"
else
  die "cannot check the vendor's signature: this machine has neither OpenSSL 3 nor ssh-keygen 8.1 or later. Install one (Debian: apt-get install openssl), or compare the archive's SHA-256 with the vendor's published value and run again with --archive-checked-by-hand. Nothing was loaded."
fi

# 2. Nothing here that SHA256SUMS does not list, but init's own files, once init wrote them.
case "$(find . -name "$(printf '*\n*')" -print -quit)" in "") ;; *) die "a file name here holds a line break: not an Onsite bundle. Nothing was loaded." ;; esac
odd=$(find . -mindepth 1 ! -type d ! -type f -print -quit)
[ -z "$odd" ] || die "${odd#./} is not a plain file (a link or device has no place in a bundle). Nothing was loaded."
extra="SHA256SUMS SHA256SUMS.sig SHA256SUMS.sshsig"
dirs=
if [ "$adopt" = 1 ]; then
  extra="$extra .onsite-init $INIT_FILES" dirs='backups|\.previous'
elif [ -e .onsite-init ]; then
  # The record holds a token whose hash names a volume init made on this engine: a copied or forged record has none.
  [ "$(grep -v '^#' .onsite-init | sed -n 1p)" = onsite-init-v1 ] || die ".onsite-init is not init's record. Nothing was loaded."
  token=$(grep -v '^#' .onsite-init | sed -n '2s/^token \([0-9a-f]\{64\}\)$/\1/p')
  [ -n "$token" ] || die ".onsite-init has no token: init did not write it. Nothing was loaded."
  marker="onsite_init_$(printf %s "$token" | sha256sum | cut -c1-32)"
  docker volume inspect "$marker" >/dev/null 2>&1 \
    || die ".onsite-init does not belong to an init on this Docker engine (no volume $marker): it came with the files, or from another machine. Nothing was loaded. If you restored .env and tls/ here yourself, run again with --adopt-existing."
  for f in $(sed -n 's/^file //p' .onsite-init); do
    case " $INIT_FILES " in *" $f "*) extra="$extra $f" ;; *) die ".onsite-init names $f, which init never writes. Nothing was loaded." ;; esac
  done
  extra="$extra .onsite-init" dirs='backups|\.previous'
fi
sed -n 's/^[0-9a-fA-F]\{64\} [ *]\(\.\/\)\{0,1\}//p' SHA256SUMS >"$work/listed"
printf '%s\n' $extra >>"$work/listed"
unlisted=$(find . -type f | sed 's|^\./||' | LC_ALL=C sort | LC_ALL=C comm -23 - <(LC_ALL=C sort -u "$work/listed") | { [ -n "$dirs" ] && grep -vE "^($dirs)/" || cat; } || true)
if [ -n "$unlisted" ]; then
  first=$(echo "$unlisted" | head -n 1)
  case "$first" in
    .env | tls/* | .onsite-init) die "$first is not part of the bundle and init has no record of writing it: a bundle never brings its own .env, tls/ or init record. Delete it (if you restored .env and tls/ here yourself from a backup, run again with --adopt-existing). Nothing was loaded." ;;
    *) die "$first is not listed in SHA256SUMS ($(echo "$unlisted" | wc -l) unlisted): every file of the bundle must be signed, and an extra one (a compose override, a .env) is refused. Nothing was loaded." ;;
  esac
fi

# 3. Every listed file's hash.
command -v sha256sum >/dev/null 2>&1 || die "sha256sum (coreutils) is required"
say "checking every file against SHA256SUMS"
sha256sum --quiet --strict -c SHA256SUMS \
  || die "the bundle does not match SHA256SUMS: a file is damaged or was changed. Nothing was loaded; copy the bundle again from the vendor's original."

# Verified: from here on the bundle's own files may run.
. scripts/lib.sh
need_docker
version=$(cat VERSION)
[[ "$version" =~ ^[A-Za-z0-9_.-]{1,64}$ ]] || die "VERSION holds no version"

say "loading the onsite image (onsite:${version})"
docker load -q -i "images/onsite-${version}.tar" >/dev/null

# The models volume, labelled as Compose labels its own so `up` adopts it quietly.
docker volume create --label com.docker.compose.project=onsite --label com.docker.compose.volume=ollama-models onsite_ollama >/dev/null

socket=$(docker_socket)
rm -rf "$work"
exec docker run --rm --user 0:0 --network none \
  -v "$PWD:/bundle" -v onsite_ollama:/ollama -v "$socket:/var/run/docker.sock" \
  -e HOST_UID="$(id -u)" -e HOST_GID="$(id -g)" \
  "onsite:${version}" init --bundle /bundle --ollama-dir /ollama ${args[@]+"${args[@]}"}
