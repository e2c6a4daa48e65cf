# Onsite first-time setup on Windows (Docker Desktop), safe to rerun: checks
# the bundle, loads its images, imports its models and writes .env. The work
# is done by `onsite init` inside the onsite image; this wrapper only checks
# the bundle before anything is loaded and hands `onsite init` the folder.
# Usage: powershell -ExecutionPolicy Bypass -File scripts\init.ps1 [--host NAME]...
$ErrorActionPreference = 'Stop'
Set-Location (Join-Path $PSScriptRoot '..')

function Fail($message) { Write-Error "init.ps1: $message"; exit 1 }

if (-not (Get-Command docker -ErrorAction SilentlyContinue)) { Fail 'docker is required: install Docker Desktop and try again' }
docker info *> $null
if ($LASTEXITCODE -ne 0) { Fail 'cannot reach the Docker engine: is Docker Desktop running?' }
foreach ($f in 'VERSION', 'SHA256SUMS', 'SHA256SUMS.sig') {
  if (-not (Test-Path $f)) { Fail "$f is missing: run this from an extracted Onsite bundle" }
}

Write-Host '==> checking every file against SHA256SUMS'
foreach ($line in Get-Content SHA256SUMS) {
  if ($line -notmatch '^([0-9a-f]{64}) [ *](.+)$') { Fail "SHA256SUMS has a malformed line: $line" }
  $want = $Matches[1]; $file = $Matches[2]
  if (-not (Test-Path -LiteralPath $file)) { Fail "$file is listed in SHA256SUMS but missing. Nothing was loaded." }
  $got = (Get-FileHash -Algorithm SHA256 -LiteralPath $file).Hash.ToLowerInvariant()
  if ($got -ne $want) { Fail "$file does not match SHA256SUMS: the bundle is damaged or was changed. Nothing was loaded; copy it again from the vendor's original." }
}

$version = (Get-Content VERSION -Raw).Trim()
Write-Host "==> loading the onsite image (onsite:$version)"
docker load -q -i "images/onsite-$version.tar" | Out-Null
if ($LASTEXITCODE -ne 0) { Fail 'docker load failed' }
docker volume create --label com.docker.compose.project=onsite --label com.docker.compose.volume=ollama-models onsite_ollama | Out-Null

docker run --rm --user 0:0 --network none `
  -v "${PWD}:/bundle" -v onsite_ollama:/ollama -v //var/run/docker.sock:/var/run/docker.sock `
  "onsite:$version" init --bundle /bundle --ollama-dir /ollama @args
exit $LASTEXITCODE
