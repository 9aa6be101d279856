#!/usr/bin/env bash
# The one test command: installs what the tests need on a fresh Debian/Ubuntu machine, restores
# the dotnet tools, builds, runs every test project, and ends with one line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests drive as real peers. Installed only when missing.
APT_PACKAGES=(openssl curl ca-certificates postgresql unbound publicsuffix python3-dkim python3-nacl spfquery swaks postfix fetchmail getmail6 isync chromium pebble shellcheck systemd)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  # postfix asks for a mail configuration on install; the tests run private instances of their own.
  echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet tool restore >/dev/null
dotnet build Appliance.sln -c Release -nologo -clp:ErrorsOnly

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
status=0
# Test projects run one after another so that the crash and socket tests have the machine's cores.
dotnet test Appliance.sln -c Release --no-build -nologo -m:1 \
  --logger "trx" --logger "console;verbosity=minimal" --results-directory "$results" \
  --blame-hang-timeout 10m || status=$?

passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  get() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed)))
  # Skipped tests show as notExecuted in TRX.
  skipped=$((skipped + $(get notExecuted)))
done

if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
  echo "no test results were produced" >&2
  status=1
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # The run failed outside a test (build, crash, hang): count it as a failure.
  failed=1
fi
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
