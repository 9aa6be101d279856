#!/usr/bin/env bash
# Appliance installer: installs, upgrades in place, or removes the Appliance mail server on
# Ubuntu 22.04/24.04 or Debian 12 (x86_64), run as root. Works from a checkout (publishes the
# server with the .NET SDK) or on its own, piped from a URL, with a self-contained build
# (--archive PATH|URL; no .NET needed on the server). See installer/README.md.
#
#   sudo installer/install.sh --hostname mail.example.com --admin-email admin@example.com
#   curl -fsSL https://.../install.sh | sudo bash -s -- --archive https://.../appliance-linux-x64.tar.gz
#
# Quiet by design: one line per step; a failing step shows its own output and stops the install.
set -euo pipefail
umask 022

readonly SERVICE_USER=appliance
readonly UNIT_NAME=appliance.service
# The standard ports, in the order of the configuration's listeners.
readonly LISTENERS=(Http Https Smtp Submission Smtps Imap Imaps Pop3 Pop3s)
readonly STANDARD_PORTS=(80 443 25 587 465 143 993 110 995)
# The server needs about 300 MB; below 1 GB the .NET runtime and mail indexes leave too little for the OS.
readonly MIN_MEMORY_MB=900
readonly WAIT_SECONDS_DEFAULT=120

usage() {
  cat <<'EOF'
Usage: install.sh [options]            install, or upgrade an existing installation in place
       install.sh --uninstall [--purge] remove the service (--purge: also configuration, data, backups, user)
       install.sh --package FILE        from a checkout: only build the self-contained tarball FILE

Options (each also read from the environment variable in brackets):
  --hostname FQDN         the server's host name, e.g. mail.example.com       [APPLIANCE_HOSTNAME]
  --admin-email ADDRESS   the first administrator's address; also the ACME
                          (Let's Encrypt) contact                               [APPLIANCE_ADMIN_EMAIL]
  --archive PATH|URL      a self-contained build (appliance-*.tar.gz) instead
                          of publishing from the checkout                       [APPLIANCE_ARCHIVE]
  --public-address IP     the address the world reaches the server on
                          (repeatable; default: the default route's address)    [APPLIANCE_PUBLIC_ADDRESS]
  --acme-directory URL    ACME directory (default: Let's Encrypt)               [APPLIANCE_ACME_DIRECTORY]
  --no-systemd            run the server in the background without systemd
                          (containers, tests); its pid goes to run/appliance.pid [APPLIANCE_NO_SYSTEMD=1]
  --wait SECONDS          how long to wait for the server to answer (120)      [APPLIANCE_WAIT]
  -y, --yes               never ask; fail when a value is missing
  -h, --help              this text

For tests only (keep the machine undisturbed):
  --root DIR              install under DIR (DIR/etc, DIR/var/lib, DIR/opt ...)  [APPLIANCE_ROOT]
  --port-base N           listen on 127.0.0.1 ports N..N+8 instead of the
                          standard ports on all interfaces; no firewall change [APPLIANCE_PORT_BASE]
EOF
}

# ---------------------------------------------------------------------------------------------
# Output and steps

STEP_LOG=""
WORK_DIR=""

say() { printf '%s\n' "$*"; }
die() {
  printf 'install.sh: error: %s\n' "$*" >&2
  exit 1
}

cleanup() {
  if [ -n "$WORK_DIR" ] && [ -d "$WORK_DIR" ]; then rm -rf -- "$WORK_DIR"; fi
}
trap cleanup EXIT

# run_step DESCRIPTION COMMAND [ARGS...]: runs the command with its output kept aside; on
# failure prints the step, the output and stops.
run_step() {
  local description=$1 status=0
  shift
  say "==> $description"
  # In a subshell outside any condition, so that `set -e` stops the step at its first failure
  # (bash ignores -e inside an `if` or `||`, even in functions called there).
  set +e
  # stdin is closed: piped from curl, it is the rest of this script.
  (
    set -e
    "$@"
  ) </dev/null >"$STEP_LOG" 2>&1
  status=$?
  set -e
  if [ "$status" -ne 0 ]; then
    printf 'install.sh: error: this step failed: %s\n--- its output ---\n' "$description" >&2
    cat "$STEP_LOG" >&2
    printf -- '------------------\n' >&2
    exit 1
  fi
}

# ---------------------------------------------------------------------------------------------
# Input validation (nothing the user types reaches a path or a file before it passes these)

# An FQDN: at least two labels of letters, digits and inner hyphens (RFC 1123 2.1), at most 63
# octets each and 253 in all, and a top-level label that is not all digits (not an IP address).
is_fqdn() {
  local name=$1
  [ "${#name}" -le 253 ] || return 1
  [[ $name =~ ^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$ ]] || return 1
  [[ ${name##*.} =~ [a-z] ]]
}

# A plain address: a dot-atom local part (RFC 5322 3.4.1, without quoted strings) at an FQDN.
is_email() {
  local address=$1 local_part domain
  [[ $address == *@* ]] || return 1
  local_part=${address%@*}
  domain=${address##*@}
  [ "${#local_part}" -le 64 ] || return 1
  [[ $local_part =~ ^[A-Za-z0-9!#\$%\&\'*+/=?^_\`{|}~-]+(\.[A-Za-z0-9!#\$%\&\'*+/=?^_\`{|}~-]+)*$ ]] || return 1
  is_fqdn "$domain"
}

is_ip() {
  local ip=$1
  [[ $ip =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}$ ]] && return 0
  # IPv6: hex groups and colons, at least two colons, nothing else.
  [[ $ip =~ ^[0-9A-Fa-f:]+$ && $ip == *:*:* ]]
}

# ---------------------------------------------------------------------------------------------
# Settings

HOSTNAME_ARG=${APPLIANCE_HOSTNAME:-}
ADMIN_EMAIL=${APPLIANCE_ADMIN_EMAIL:-}
ARCHIVE=${APPLIANCE_ARCHIVE:-}
ACME_DIRECTORY=${APPLIANCE_ACME_DIRECTORY:-}
ROOT=${APPLIANCE_ROOT:-}
PORT_BASE=${APPLIANCE_PORT_BASE:-}
NO_SYSTEMD=${APPLIANCE_NO_SYSTEMD:-0}
WAIT_SECONDS=${APPLIANCE_WAIT:-$WAIT_SECONDS_DEFAULT}
PUBLIC_ADDRESSES=()
if [ -n "${APPLIANCE_PUBLIC_ADDRESS:-}" ]; then
  IFS=', ' read -r -a PUBLIC_ADDRESSES <<<"$APPLIANCE_PUBLIC_ADDRESS"
fi
ACTION=install
PURGE=0
PACKAGE_OUT=""
ASSUME_YES=0

need_value() {
  if [ "$#" -lt 2 ] || [ -z "$2" ]; then die "$1 needs a value (see --help)."; fi
}

while [ "$#" -gt 0 ]; do
  case $1 in
    --hostname) need_value "$@"; HOSTNAME_ARG=$2; shift 2 ;;
    --admin-email) need_value "$@"; ADMIN_EMAIL=$2; shift 2 ;;
    --archive) need_value "$@"; ARCHIVE=$2; shift 2 ;;
    --public-address) need_value "$@"; PUBLIC_ADDRESSES+=("$2"); shift 2 ;;
    --acme-directory) need_value "$@"; ACME_DIRECTORY=$2; shift 2 ;;
    --root) need_value "$@"; ROOT=$2; shift 2 ;;
    --port-base) need_value "$@"; PORT_BASE=$2; shift 2 ;;
    --wait) need_value "$@"; WAIT_SECONDS=$2; shift 2 ;;
    --no-systemd) NO_SYSTEMD=1; shift ;;
    --package) need_value "$@"; ACTION=package; PACKAGE_OUT=$2; shift 2 ;;
    --uninstall) ACTION=uninstall; shift ;;
    --purge) PURGE=1; shift ;;
    -y | --yes) ASSUME_YES=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option '$1' (see --help)." ;;
  esac
done

[ "$PURGE" -eq 0 ] || [ "$ACTION" = uninstall ] || die "--purge goes with --uninstall."
[ "$NO_SYSTEMD" = 0 ] || [ "$NO_SYSTEMD" = 1 ] || die "APPLIANCE_NO_SYSTEMD must be 0 or 1."
if ! [[ $WAIT_SECONDS =~ ^[1-9][0-9]{0,3}$ ]]; then die "--wait must be a number of seconds from 1 to 9999."; fi
if [ -n "$PORT_BASE" ]; then
  if ! [[ $PORT_BASE =~ ^[1-9][0-9]{3,4}$ ]] || [ "$PORT_BASE" -lt 1024 ] || [ "$PORT_BASE" -gt 65526 ]; then
    die "--port-base must be a port from 1024 to 65526 (nine ports from it are used)."
  fi
fi
if [ -n "$ROOT" ]; then
  # Everything the installer writes goes under it: an absolute, plain path, never "/" itself.
  [[ $ROOT =~ ^/[A-Za-z0-9._/-]+$ && $ROOT != *..* ]] || die "--root must be an absolute path of letters, digits, '.', '_', '-' and '/'."
  ROOT=${ROOT%/}
  [ -d "$ROOT" ] || die "--root $ROOT is not a directory."
fi
for ip in "${PUBLIC_ADDRESSES[@]}"; do
  is_ip "$ip" || die "--public-address '$ip' is not an IPv4 or IPv6 address."
done
if [ -n "$ACME_DIRECTORY" ]; then
  [[ $ACME_DIRECTORY =~ ^https://[A-Za-z0-9.:_/-]+$ ]] || die "--acme-directory must be an https:// URL."
fi

readonly ETC_DIR=$ROOT/etc/appliance
readonly CONFIG_FILE=$ETC_DIR/appliance.json
readonly DATA_DIR=$ROOT/var/lib/appliance
readonly OPT_DIR=$ROOT/opt/appliance
readonly BIN_DIR=$OPT_DIR/bin
readonly WRAPPER=$ROOT/usr/local/bin/appliance
readonly UNIT_FILE=$ROOT/etc/systemd/system/$UNIT_NAME
readonly BACKUP_DIR=$ROOT/var/backups/appliance
readonly RUN_DIR=$ROOT/run/appliance
readonly PID_FILE=$RUN_DIR/appliance.pid
readonly LOG_FILE=$ROOT/var/log/appliance/appliance.log

SCRIPT_DIR=""
# From a checkout (not piped): the repository root, where the server's project is.
if [ -n "${BASH_SOURCE[0]:-}" ] && [ -f "${BASH_SOURCE[0]}" ]; then
  SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fi
checkout_root() {
  [ -n "$SCRIPT_DIR" ] && [ -f "$SCRIPT_DIR/../web/Appliance.Web/Appliance.Web.csproj" ] && (cd "$SCRIPT_DIR/.." && pwd)
}

WORK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/appliance-install.XXXXXX")
STEP_LOG=$WORK_DIR/step.log

# ---------------------------------------------------------------------------------------------
# Building and unpacking

# Publishes the server self-contained and packs it with its unit template and this installer:
# appliance/bin/ (the server), appliance/share/{appliance.service,install.sh}.
build_package() {
  local out=$1 repo stage
  repo=$(checkout_root) || die "--package and installing without --archive need a checkout (installer/install.sh beside web/Appliance.Web)."
  command -v dotnet >/dev/null || die "the .NET SDK (dotnet) is needed to publish from a checkout; or give --archive with a self-contained build."
  stage=$WORK_DIR/package/appliance
  mkdir -p "$stage/share"
  # Trimming breaks EF Core at run time and Native AOT is unavailable: a plain self-contained publish.
  run_step "Publishing the server (dotnet publish, self-contained linux-x64)" \
    env DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 \
    dotnet publish "$repo/web/Appliance.Web" -c Release -r linux-x64 --self-contained -nologo -o "$stage/bin"
  cp "$repo/installer/appliance.service" "$repo/installer/install.sh" "$stage/share/"
  run_step "Packing $out" tar -C "$WORK_DIR/package" -czf "$out" appliance
}

fetch_archive() {
  local source=$1 target=$2
  case $source in
    http://* | https://* | file://*)
      command -v curl >/dev/null || die "curl is needed to download $source."
      run_step "Downloading $source" curl -fsSL --retry 3 -o "$target" -- "$source" ;;
    *)
      [ -f "$source" ] || die "--archive $source: no such file."
      cp -- "$source" "$target" ;;
  esac
}

# Leaves the build in $WORK_DIR/new/appliance (bin/ and share/).
obtain_build() {
  local archive=$WORK_DIR/appliance.tar.gz
  if [ -n "$ARCHIVE" ]; then
    fetch_archive "$ARCHIVE" "$archive"
  else
    build_package "$archive"
  fi
  mkdir -p "$WORK_DIR/new"
  run_step "Unpacking the build" tar -C "$WORK_DIR/new" -xzf "$archive"
  if ! [ -x "$WORK_DIR/new/appliance/bin/appliance" ] || ! [ -f "$WORK_DIR/new/appliance/share/appliance.service" ]; then
    die "the archive is not an Appliance build (it lacks appliance/bin/appliance or appliance/share/appliance.service)."
  fi
}

# "1.2.3+abcdef" from "appliance 1.2.3+abcdef (.NET 10.0.0)".
version_of() {
  local output
  output=$("$1" version 2>/dev/null) || return 1
  output=${output#appliance }
  printf '%s\n' "${output%% *}"
}

# ---------------------------------------------------------------------------------------------
# Preflight

preflight() {
  [ "$(id -u)" -eq 0 ] || die "run as root (sudo)."
  local id="" version_id="" pretty=""
  if [ -r /etc/os-release ]; then
    # shellcheck disable=SC1091 # the running system's file
    id=$(. /etc/os-release && printf '%s' "${ID:-}")
    # shellcheck disable=SC1091
    version_id=$(. /etc/os-release && printf '%s' "${VERSION_ID:-}")
    # shellcheck disable=SC1091
    pretty=$(. /etc/os-release && printf '%s' "${PRETTY_NAME:-}")
  fi
  case "$id $version_id" in
    "ubuntu 22.04" | "ubuntu 24.04" | "debian 12") ;;
    *) die "this system is ${pretty:-unknown}; the installer supports Ubuntu 22.04, Ubuntu 24.04 and Debian 12." ;;
  esac
  [ "$(uname -m)" = x86_64 ] || die "the build is for x86_64 (linux-x64); this machine is $(uname -m)."
  local memory_kb
  memory_kb=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
  [ $((memory_kb / 1024)) -ge "$MIN_MEMORY_MB" ] || die "the server needs at least $MIN_MEMORY_MB MB of memory; this machine has $((memory_kb / 1024)) MB."
  for tool in setpriv tar awk ss; do
    command -v "$tool" >/dev/null || die "'$tool' is missing (util-linux, tar, gawk/mawk, iproute2)."
  done
  if [ "$NO_SYSTEMD" -eq 0 ] && ! { command -v systemctl >/dev/null && [ -d /run/systemd/system ]; }; then
    die "systemd is not running here; use --no-systemd to run the server without it."
  fi
}

# The ports to listen on and the address: standard ports on all interfaces, or the test range.
port_of() {
  local index=$1
  if [ -n "$PORT_BASE" ]; then printf '%s\n' $((PORT_BASE + index)); else printf '%s\n' "${STANDARD_PORTS[$index]}"; fi
}
listen_address() {
  if [ -n "$PORT_BASE" ]; then printf '127.0.0.1\n'; else printf '::\n'; fi
}

# Pid of our own running server (systemd's main pid, or the background one's), else empty.
running_pid() {
  local pid=""
  if [ "$NO_SYSTEMD" -eq 1 ]; then
    if [ -f "$PID_FILE" ]; then
      pid=$(cat "$PID_FILE")
      if ! [[ $pid =~ ^[0-9]+$ ]] || ! kill -0 "$pid" 2>/dev/null; then pid=""; fi
    fi
  elif systemctl is-active --quiet "$UNIT_NAME" 2>/dev/null; then
    pid=$(systemctl show -p MainPID --value "$UNIT_NAME")
    [ "$pid" != 0 ] || pid=""
  fi
  printf '%s' "$pid"
}

check_ports() {
  local own_pid busy=() port listeners i
  own_pid=$(running_pid)
  for i in "${!LISTENERS[@]}"; do
    port=$(port_of "$i")
    listeners=$(ss -Hltnp "sport = :$port" 2>/dev/null || true)
    [ -n "$listeners" ] || continue
    # Our own server holds its ports during an upgrade; anything else is in the way.
    if [ -n "$own_pid" ] && [[ $listeners == *"pid=$own_pid,"* ]]; then continue; fi
    busy+=("$port ($(printf '%s' "$listeners" | grep -o 'users:(("[^"]*"' | head -n 1 | cut -d'"' -f2 || true))")
  done
  [ "${#busy[@]}" -eq 0 ] || die "these ports are in use by another program: ${busy[*]}. Stop it (e.g. postfix, dovecot, nginx) and run the installer again."
}

# ---------------------------------------------------------------------------------------------
# Questions

ask() {
  local prompt=$1 default=$2 answer
  # Piped from curl, stdin is the script itself: questions go to the terminal.
  if [ "$ASSUME_YES" -eq 1 ] || ! { : </dev/tty; } 2>/dev/null; then
    return 1
  fi
  printf '%s [%s]: ' "$prompt" "$default" >/dev/tty
  IFS= read -r answer </dev/tty || return 1
  printf '%s\n' "${answer:-$default}"
}

gather_settings() {
  if [ -z "$HOSTNAME_ARG" ]; then
    HOSTNAME_ARG=$(ask "Host name of this mail server (a name in DNS, e.g. mail.example.com)" "$(hostname -f 2>/dev/null || hostname)") \
      || die "give the host name with --hostname or APPLIANCE_HOSTNAME (no terminal to ask on)."
  fi
  HOSTNAME_ARG=$(printf '%s' "$HOSTNAME_ARG" | tr '[:upper:]' '[:lower:]')
  HOSTNAME_ARG=${HOSTNAME_ARG%.}
  is_fqdn "$HOSTNAME_ARG" || die "the host name '$HOSTNAME_ARG' is not a fully qualified domain name (like mail.example.com)."
  if [ -z "$ADMIN_EMAIL" ]; then
    local domain=${HOSTNAME_ARG#*.}
    [[ $domain == *.* ]] || domain=$HOSTNAME_ARG
    ADMIN_EMAIL=$(ask "Administrator's mail address (also the Let's Encrypt contact)" "admin@$domain") \
      || die "give the administrator's address with --admin-email or APPLIANCE_ADMIN_EMAIL (no terminal to ask on)."
  fi
  is_email "$ADMIN_EMAIL" || die "the administrator's address '$ADMIN_EMAIL' is not a mail address like admin@example.com."
  ADMIN_EMAIL=$(printf '%s' "$ADMIN_EMAIL" | tr '[:upper:]' '[:lower:]')
  if [ "${#PUBLIC_ADDRESSES[@]}" -eq 0 ] && [ -z "$PORT_BASE" ]; then
    # The source address of the default route, when it is a public one (behind NAT it is not,
    # and the admin names the public address with --public-address).
    local source
    source=$(ip -4 route get 192.0.2.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p' | head -n 1 || true)
    if [ -n "$source" ] && ! [[ $source =~ ^(10\.|127\.|192\.168\.|172\.(1[6-9]|2[0-9]|3[01])\.|169\.254\.) ]]; then
      PUBLIC_ADDRESSES=("$source")
    fi
  fi
}

# ---------------------------------------------------------------------------------------------
# Installing

# The configuration is complete on its own: every listener, the data directory and ACME are
# spelled out, so it means the same whichever defaults the binary has.
write_config() {
  local i addresses="" address
  for address in "${PUBLIC_ADDRESSES[@]}"; do
    addresses+="${addresses:+, }\"$address\""
  done
  address=$(listen_address)
  {
    printf '{\n  "Appliance": {\n'
    printf '    "Hostname": "%s",\n' "$HOSTNAME_ARG"
    printf '    "DataDirectory": "%s",\n' "$DATA_DIR"
    printf '    "PublicAddresses": [%s],\n' "$addresses"
    printf '    "Listeners": {\n'
    for i in "${!LISTENERS[@]}"; do
      printf '      "%s": { "Enabled": true, "Address": "%s", "Port": %s }%s\n' \
        "${LISTENERS[$i]}" "$address" "$(port_of "$i")" "$([ "$i" -lt $((${#LISTENERS[@]} - 1)) ] && printf ',')"
    done
    printf '    },\n'
    printf '    "Acme": {\n      "Enabled": true,\n      "ContactEmail": "%s"%s\n    }\n' "$ADMIN_EMAIL" \
      "$([ -n "$ACME_DIRECTORY" ] && printf ',\n      "DirectoryUrl": "%s"' "$ACME_DIRECTORY")"
    printf '  }\n}\n'
  } >"$CONFIG_FILE.new"
  chown "root:$SERVICE_USER" "$CONFIG_FILE.new"
  chmod 0640 "$CONFIG_FILE.new"
  mv -f "$CONFIG_FILE.new" "$CONFIG_FILE"
}

create_user_and_directories() {
  if ! getent passwd "$SERVICE_USER" >/dev/null; then
    useradd --system --user-group --home-dir /var/lib/appliance --no-create-home \
      --shell /usr/sbin/nologin --comment "Appliance mail server" "$SERVICE_USER"
  fi
  install -d -m 0755 "$OPT_DIR" "$(dirname "$WRAPPER")" "$(dirname "$UNIT_FILE")"
  install -d -m 0750 -o root -g "$SERVICE_USER" "$ETC_DIR"
  install -d -m 0750 -o "$SERVICE_USER" -g "$SERVICE_USER" "$DATA_DIR"
  install -d -m 0700 "$BACKUP_DIR"
  if [ "$NO_SYSTEMD" -eq 1 ]; then
    install -d -m 0755 "$RUN_DIR"
    install -d -m 0750 -o "$SERVICE_USER" -g "$SERVICE_USER" "$(dirname "$LOG_FILE")"
  fi
}

# `appliance` on the PATH: as root it drops to the service user, so files the CLI creates in the
# data directory stay the server's.
write_wrapper() {
  cat >"$WRAPPER.new" <<EOF
#!/bin/sh
# Written by the Appliance installer.
set -e
APPLIANCE_CONFIG="\${APPLIANCE_CONFIG:-$CONFIG_FILE}"
export APPLIANCE_CONFIG
if [ "\$(id -u)" -eq 0 ]; then
  HOME=$DATA_DIR exec setpriv --reuid=$SERVICE_USER --regid=$SERVICE_USER --init-groups -- $BIN_DIR/appliance "\$@"
fi
exec $BIN_DIR/appliance "\$@"
EOF
  chmod 0755 "$WRAPPER.new"
  mv -f "$WRAPPER.new" "$WRAPPER"
}

write_unit() {
  sed -e "s|@PREFIX@|$ROOT|g" -e "s|@USER@|$SERVICE_USER|g" "$WORK_DIR/new/appliance/share/appliance.service" >"$UNIT_FILE.new"
  chmod 0644 "$UNIT_FILE.new"
  mv -f "$UNIT_FILE.new" "$UNIT_FILE"
}

start_server() {
  if [ "$NO_SYSTEMD" -eq 1 ]; then
    # As the unit does, minus the sandbox: the service user, the data directory, the log to a file.
    # setpriv execs the server, so the pid recorded is the server's own.
    (
      cd "$DATA_DIR"
      env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$DATA_DIR" DOTNET_CLI_TELEMETRY_OPTOUT=1 \
        setpriv --reuid="$SERVICE_USER" --regid="$SERVICE_USER" --init-groups -- \
        "$BIN_DIR/appliance" serve --config "$CONFIG_FILE" </dev/null >>"$LOG_FILE" 2>&1 &
      printf '%s\n' "$!" >"$PID_FILE"
    )
  else
    systemctl daemon-reload
    systemctl enable "$UNIT_NAME"
    systemctl restart "$UNIT_NAME"
  fi
}

stop_server() {
  if [ "$NO_SYSTEMD" -eq 1 ]; then
    local pid waited=0
    pid=$(running_pid)
    if [ -n "$pid" ]; then
      kill -TERM "$pid"
      # The server drains its sessions; bounded as systemd bounds it (TimeoutStopSec, 90 s).
      while kill -0 "$pid" 2>/dev/null; do
        [ "$waited" -lt 900 ] || { kill -KILL "$pid"; break; }
        sleep 0.1
        waited=$((waited + 1))
      done
    fi
    rm -f "$PID_FILE"
  elif [ -f "$UNIT_FILE" ]; then
    systemctl stop "$UNIT_NAME" || true
  fi
}

# Consistent because the server is stopped: the configuration database, the queue and delivery
# databases, the key ring (the database's secrets are sealed with it) and every mailbox's index.
backup_data() {
  local list=$WORK_DIR/backup.list
  (
    cd "$DATA_DIR"
    find . -maxdepth 1 -type f \( -name 'appliance.db*' -o -name 'queue.db*' \) -print
    [ -d keys ] && find keys -type f -print
    [ -d log ] && find log -type f -name 'delivery.db*' -print
    [ -d mail ] && find mail -type f -name 'index.sqlite*' -print
    true
  ) >"$list"
  tar -C "$DATA_DIR" -czf "$BACKUP_FILE.new" -T "$list"
  chmod 0600 "$BACKUP_FILE.new"
  mv -f "$BACKUP_FILE.new" "$BACKUP_FILE"
}

# Replaces the program files; the data directory and configuration are never touched here.
swap_binaries() {
  rm -rf -- "$OPT_DIR/bin.previous"
  [ -d "$BIN_DIR" ] && mv -- "$BIN_DIR" "$OPT_DIR/bin.previous"
  mv -- "$WORK_DIR/new/appliance/bin" "$BIN_DIR"
  rm -rf -- "$OPT_DIR/bin.previous"
}

open_firewall() {
  if [ -n "$PORT_BASE" ]; then return 0; fi
  command -v ufw >/dev/null || return 0
  ufw status 2>/dev/null | grep -q '^Status: active' || return 0
  run_step "Opening the mail and web ports in ufw" ufw allow proto tcp to any port "$(IFS=,; printf '%s' "${STANDARD_PORTS[*]}")" comment 'Appliance mail server'
}

# Polls `appliance status` (every listener answers, the database reads) for at most WAIT_SECONDS.
wait_until_answering() {
  local deadline=$((SECONDS + WAIT_SECONDS))
  until "$WRAPPER" status >"$STEP_LOG" 2>&1; do
    if [ -z "$(running_pid)" ] || [ "$SECONDS" -ge "$deadline" ]; then
      printf 'install.sh: error: the server does not answer.\n--- appliance status ---\n' >&2
      cat "$STEP_LOG" >&2
      if [ "$NO_SYSTEMD" -eq 1 ]; then
        printf -- '--- %s (last lines) ---\n' "$LOG_FILE" >&2
        tail -n 40 "$LOG_FILE" >&2 || true
      else
        printf -- '--- journalctl -u appliance (last lines) ---\n' >&2
        journalctl -u "$UNIT_NAME" -n 40 --no-pager >&2 || true
      fi
      exit 1
    fi
    sleep 1
  done
}

# The admin's domain is hosted from the start: the DNS records can then be printed, and the setup
# page creates the administrator in it.
ensure_admin_domain() {
  local domain=${ADMIN_EMAIL##*@}
  if ! "$WRAPPER" dns records --domain "$domain" >/dev/null 2>&1; then
    run_step "Adding the domain $domain" "$WRAPPER" domain add "$domain"
  fi
}

summary() {
  local old_version=$1 new_version=$2 domain=${ADMIN_EMAIL##*@} https_port url token
  https_port=$(port_of 1)
  url="https://$HOSTNAME_ARG/"
  [ "$https_port" = 443 ] || url="https://$HOSTNAME_ARG:$https_port/"
  say ""
  if [ -z "$old_version" ]; then
    say "Appliance $new_version is installed and running."
  elif [ "$old_version" = "$new_version" ]; then
    say "Appliance $new_version is reinstalled (same version) and running; data kept."
  else
    say "Appliance is upgraded from $old_version to $new_version and running; data kept."
  fi
  [ -z "${BACKUP_FILE:-}" ] || say "Backup of the databases and mail indexes: $BACKUP_FILE"
  say ""
  say "Admin: $url"
  if token=$("$WRAPPER" setup-token 2>/dev/null); then
    say "Setup token: $token"
    say "  Open ${url}setup, enter the token and create the administrator $ADMIN_EMAIL."
  else
    say "Setup is complete: sign in with an administrator's address."
  fi
  say ""
  say "DNS records to publish for $domain (zone-file lines; a commented-out PTR record is for your hosting provider to set):"
  "$WRAPPER" dns records --domain "$domain" || die "could not list the DNS records (see above)."
  say ""
  if [ "$NO_SYSTEMD" -eq 1 ]; then
    say "Server pid $(cat "$PID_FILE"), log $LOG_FILE. Status: $WRAPPER status"
  else
    say "Logs: journalctl -u appliance. Status: appliance status"
  fi
}

install_or_upgrade() {
  preflight
  gather_settings
  check_ports
  obtain_build

  local new_version old_version=""
  new_version=$(version_of "$WORK_DIR/new/appliance/bin/appliance") || die "the new build does not run ('appliance version' failed)."
  if [ -x "$BIN_DIR/appliance" ]; then
    old_version=$(version_of "$BIN_DIR/appliance" || printf 'unknown')
  fi

  run_step "Creating the user $SERVICE_USER and the directories" create_user_and_directories
  if [ -n "$old_version" ]; then
    say "==> Upgrading from $old_version to $new_version"
    run_step "Stopping the server" stop_server
    # Named here: run_step's subshell cannot hand a variable back.
    BACKUP_FILE=$BACKUP_DIR/appliance-$(date -u +%Y%m%dT%H%M%SZ)-${old_version//[^A-Za-z0-9.+-]/_}.tar.gz
    run_step "Backing up the databases and mail indexes" backup_data
  fi
  run_step "Installing the program files in $OPT_DIR" swap_binaries
  if [ -f "$CONFIG_FILE" ]; then
    say "==> Keeping the configuration $CONFIG_FILE"
  else
    run_step "Writing the configuration $CONFIG_FILE" write_config
  fi
  run_step "Installing the command $WRAPPER" write_wrapper
  run_step "Installing the systemd unit $UNIT_FILE" write_unit
  open_firewall
  run_step "Starting the server" start_server
  say "==> Waiting for the server to answer on its ports"
  wait_until_answering
  ensure_admin_domain
  summary "$old_version" "$new_version"
}

remove_unit() {
  systemctl disable "$UNIT_NAME" || true
  rm -f -- "$UNIT_FILE"
  systemctl daemon-reload
}

uninstall() {
  [ "$(id -u)" -eq 0 ] || die "run as root (sudo)."
  run_step "Stopping the server" stop_server
  if [ "$NO_SYSTEMD" -eq 0 ] && [ -f "$UNIT_FILE" ]; then
    run_step "Removing the systemd unit" remove_unit
  else
    rm -f -- "$UNIT_FILE"
  fi
  rm -rf -- "$OPT_DIR" "$WRAPPER" "$RUN_DIR"
  if [ "$PURGE" -eq 1 ]; then
    rm -rf -- "$ETC_DIR" "$DATA_DIR" "$BACKUP_DIR" "$(dirname "$LOG_FILE")"
    if getent passwd "$SERVICE_USER" >/dev/null; then userdel "$SERVICE_USER" || true; fi
    say "Appliance is removed, with its configuration, data, backups and user."
  else
    say "Appliance is removed. Kept: $CONFIG_FILE, $DATA_DIR and $BACKUP_DIR (remove them with --uninstall --purge)."
  fi
}

case $ACTION in
  package)
    [[ $PACKAGE_OUT == *.tar.gz ]] || die "--package needs a file name ending in .tar.gz."
    build_package "$(cd "$(dirname "$PACKAGE_OUT")" && pwd)/$(basename "$PACKAGE_OUT")"
    say "Built $PACKAGE_OUT" ;;
  uninstall) uninstall ;;
  install) install_or_upgrade ;;
esac
