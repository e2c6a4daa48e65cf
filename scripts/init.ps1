# Onsite first-time setup on Windows (Docker Desktop), safe to rerun: checks
# the bundle, loads its images, imports its models and writes .env.
#
# Before any other file of the bundle is run or loaded, this script checks it:
# the vendor's Ed25519 signature over SHA256SUMS, that SHA256SUMS lists every
# file here (only init's own .env, tls/ and record may sit beside them, and
# only once init wrote them), and every file's SHA-256. Then `onsite init`,
# inside the verified onsite image, checks it all again and writes .env.
#
# PowerShell and .NET cannot check an Ed25519 signature by themselves, so the
# signature is checked with Windows' own OpenSSH client (ssh-keygen -Y verify,
# OpenSSH 8.1 or later; Windows 10's inbox 7.7 has no -Y). Without it this
# script refuses to go on unless you pass --archive-checked-by-hand, saying
# you compared the archive's SHA-256 with the vendor's published value.
# The keys below came inside the bundle, as this script did: see docs/verify.md.
# Usage: powershell -ExecutionPolicy Bypass -File scripts\init.ps1 [--archive-checked-by-hand] [--adopt-existing] [--host NAME]...
$ErrorActionPreference = 'Stop'
Set-Location (Join-Path $PSScriptRoot '..')
$root = (Get-Location).Path

# Each line: key id, PEM body (openssl), ssh-ed25519 key (ssh-keygen).
$BundleKeys = @'
# begin trusted keys (bundle/build-bundle.ts writes them in; none in the source tree)
# end trusted keys
'@
$Namespace = 'onsite-bundle'
$InitFiles = @('.env', 'tls/ca.crt', 'tls/ca.key', 'tls/server.crt', 'tls/server.key')

function Fail($message) { Write-Error "init.ps1: $message"; exit 1 }

$byHand = $false; $adopt = $false; $rest = @()
foreach ($a in $args) {
  if ($a -eq '--archive-checked-by-hand') { $byHand = $true }
  else { if ($a -eq '--adopt-existing') { $adopt = $true }; $rest += $a }
}
if (-not (Get-Command docker -ErrorAction SilentlyContinue)) { Fail 'docker is required: install Docker Desktop and try again' }
docker info *> $null
if ($LASTEXITCODE -ne 0) { Fail 'cannot reach the Docker engine: is Docker Desktop running?' }
foreach ($f in 'VERSION', 'SHA256SUMS', 'SHA256SUMS.sig') {
  if (-not (Test-Path -LiteralPath $f)) { Fail "$f is missing: run this from an extracted Onsite bundle" }
}

# 1. The signature over SHA256SUMS, by a key written in above.
$sigText = (Get-Content -LiteralPath SHA256SUMS.sig -Raw).Trim()
if ($sigText -notmatch '^\{"format":"onsite-bundle-sig-v1","alg":"Ed25519","kid":"([A-Za-z0-9_.-]+)","sig":"[A-Za-z0-9_-]{86}"\}$') { Fail 'SHA256SUMS.sig is not a bundle signature. Nothing was loaded.' }
$kid = $Matches[1]
$key = $BundleKeys -split "`r?`n" | Where-Object { $_ -and -not $_.StartsWith('#') -and ($_ -split ' ')[0] -ceq $kid } | Select-Object -First 1
if (-not $key) { Fail "SHA256SUMS.sig is signed with key `"$kid`", which this script does not trust: do not install this bundle, ask the vendor. Nothing was loaded." }
$checked = $false
$sshKeygen = Get-Command ssh-keygen -ErrorAction SilentlyContinue
if ($sshKeygen -and (Test-Path -LiteralPath SHA256SUMS.sshsig)) {
  $work = Join-Path ([IO.Path]::GetTempPath()) ("onsite-init-" + [Guid]::NewGuid())
  New-Item -ItemType Directory -Path $work | Out-Null
  try {
    $allowed = Join-Path $work 'allowed_signers'
    [IO.File]::WriteAllText($allowed, "$Namespace namespaces=`"$Namespace`" ssh-ed25519 $(($key -split ' ')[2])`n")
    # Absolute paths throughout: Start-Process runs in the process's folder, not Set-Location's.
    $p = Start-Process -FilePath $sshKeygen.Source -WorkingDirectory $root -NoNewWindow -Wait -PassThru `
      -ArgumentList @('-Y', 'verify', '-f', "`"$allowed`"", '-I', $Namespace, '-n', $Namespace, '-s', "`"$(Join-Path $root 'SHA256SUMS.sshsig')`"") `
      -RedirectStandardInput (Join-Path $root 'SHA256SUMS') -RedirectStandardOutput (Join-Path $work 'out') -RedirectStandardError (Join-Path $work 'err')
    $said = (Get-Content -Raw (Join-Path $work 'out')) + (Get-Content -Raw (Join-Path $work 'err'))
    if ($p.ExitCode -eq 0) { $checked = $true }
    # An ssh-keygen older than 8.1 has no -Y: then there is no stock tool here.
    elseif ($said -notmatch 'illegal option|unknown option|usage') { Fail "the signature by key `"$kid`" does not match SHA256SUMS (ssh-keygen -Y verify): the bundle was changed or not signed by the vendor. Nothing was loaded; do not install it." }
  } finally {
    Remove-Item -Recurse -Force -LiteralPath $work
  }
}
if ($checked) { Write-Host "==> SHA256SUMS is signed by bundle key `"$kid`" (checked with ssh-keygen -Y verify)" }
elseif ($byHand) { Write-Host "==> SHA256SUMS's signature not checked here (no ssh-keygen 8.1): you checked the archive's SHA-256 by hand (--archive-checked-by-hand)" }
else { Fail 'cannot check the vendor''s signature: PowerShell cannot check Ed25519 by itself and this Windows has no ssh-keygen 8.1 or later (add the OpenSSH Client feature, or a newer Win32-OpenSSH). Or compare the archive''s SHA-256 with the vendor''s published value (Get-FileHash) and run again with --archive-checked-by-hand. Nothing was loaded.' }

# 2. Nothing here that SHA256SUMS does not list, but init's own files, once init wrote them.
$sums = @{}
foreach ($line in Get-Content -LiteralPath SHA256SUMS) {
  if ($line -notmatch '^([0-9a-f]{64}) [ *](.+)$') { Fail "SHA256SUMS has a malformed line: $line" }
  $sums[$Matches[2]] = $Matches[1]
}
$extra = @('SHA256SUMS', 'SHA256SUMS.sig', 'SHA256SUMS.sshsig'); $dirs = $false
if ($adopt) { $extra += @('.onsite-init') + $InitFiles; $dirs = $true }
elseif (Test-Path -LiteralPath .onsite-init) {
  # The record holds a token whose hash names a volume init made on this engine: a copied or forged record has none.
  $record = @(Get-Content -LiteralPath .onsite-init | Where-Object { $_ -and -not $_.StartsWith('#') })
  if ($record[0] -ne 'onsite-init-v1' -or $record[1] -notmatch '^token ([0-9a-f]{64})$') { Fail '.onsite-init is not init''s record. Nothing was loaded.' }
  $digest = [Security.Cryptography.SHA256]::Create().ComputeHash([Text.Encoding]::ASCII.GetBytes($Matches[1]))
  $marker = 'onsite_init_' + (-join ($digest | ForEach-Object { $_.ToString('x2') })).Substring(0, 32)
  docker volume inspect $marker *> $null
  if ($LASTEXITCODE -ne 0) { Fail ".onsite-init does not belong to an init on this Docker engine (no volume $marker): it came with the files, or from another machine. Nothing was loaded. If you restored .env and tls/ here yourself, run again with --adopt-existing." }
  foreach ($l in $record | Select-Object -Skip 2) {
    $f = $l -replace '^file ', ''
    if ($InitFiles -notcontains $f) { Fail ".onsite-init names $f, which init never writes. Nothing was loaded." }
    $extra += $f
  }
  $extra += '.onsite-init'; $dirs = $true
}
foreach ($item in Get-ChildItem -LiteralPath $root -Recurse -Force) {
  $rel = $item.FullName.Substring($root.Length + 1).Replace('\', '/')
  if ($item.Attributes -band [IO.FileAttributes]::ReparsePoint) { Fail "$rel is a link (a link has no place in a bundle). Nothing was loaded." }
  if ($item.PSIsContainer -or $sums.ContainsKey($rel) -or $extra -contains $rel) { continue }
  if ($dirs -and ($rel.StartsWith('backups/') -or $rel.StartsWith('.previous/'))) { continue }
  if ($rel -eq '.env' -or $rel.StartsWith('tls/') -or $rel -eq '.onsite-init') { Fail "$rel is not part of the bundle and init has no record of writing it: a bundle never brings its own .env, tls/ or init record. Delete it (if you restored .env and tls/ here yourself from a backup, run again with --adopt-existing). Nothing was loaded." }
  Fail "$rel is not listed in SHA256SUMS: every file of the bundle must be signed, and an extra one (a compose override, a .env) is refused. Nothing was loaded."
}

# 3. Every listed file's hash.
Write-Host '==> checking every file against SHA256SUMS'
foreach ($file in $sums.Keys) {
  if (-not (Test-Path -LiteralPath $file)) { Fail "$file is listed in SHA256SUMS but missing. Nothing was loaded." }
  $got = (Get-FileHash -Algorithm SHA256 -LiteralPath $file).Hash.ToLowerInvariant()
  if ($got -ne $sums[$file]) { Fail "$file does not match SHA256SUMS: the bundle is damaged or was changed. Nothing was loaded; copy it again from the vendor's original." }
}

$version = (Get-Content VERSION -Raw).Trim()
if ($version -notmatch '^[A-Za-z0-9_.-]{1,64}$') { Fail 'VERSION holds no version' }
Write-Host "==> loading the onsite image (onsite:$version)"
docker load -q -i "images/onsite-$version.tar" | Out-Null
if ($LASTEXITCODE -ne 0) { Fail 'docker load failed' }
docker volume create --label com.docker.compose.project=onsite --label com.docker.compose.volume=ollama-models onsite_ollama | Out-Null

docker run --rm --user 0:0 --network none `
  -v "${PWD}:/bundle" -v onsite_ollama:/ollama -v //var/run/docker.sock:/var/run/docker.sock `
  "onsite:$version" init --bundle /bundle --ollama-dir /ollama @rest
exit $LASTEXITCODE
