#!/usr/bin/env bash
# Install govhall on a Debian 12 / Raspberry Pi OS Bookworm machine, for one or more roles:
#
#   server   the queue server, the nightly backup and the content sync
#   kiosk    the lobby kiosk, fullscreen on tty1, with its ticket printer
#   display  a hall or window display: Chromium in kiosk mode on tty1
#
# Run as root from a checkout:  sudo deploy/install.sh server
# It is safe to run again (an upgrade): configuration already on the machine is kept.
# See docs/deploying.md for the whole hall.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: install.sh [options] ROLE...     (ROLE: server, kiosk, display)

  --server-url URL   the queue server as the hall's machines reach it
                     (server: what ticket QR codes point at; kiosk: where it takes tickets;
                     display: the page's host). Default: http://127.0.0.1:8080
  --display-url URL  the page a display shows (default: SERVER-URL/display)
  --printer URI      the kiosk's ticket printer, e.g. usb://0416:5011
  --kiosk-token T    the kiosk's token (`govhall kiosk register NAME` on the server)
  --tls              server: HTTPS through nginx with a certificate of the hall's own (openssl),
                     for the host of --server-url (default: this machine's name); sets
                     public_url to https://HOST and secure_cookies on
  --no-packages      do not apt-get install the system packages
  --no-start         enable the units but start nothing now
  --root DIR         install into DIR instead of / (a staging tree or a test): no apt,
                     no udev reload, nothing started; the venv is made at DIR/opt/govhall
  --dry-run          print every step and change nothing
  -h, --help         this text

Environment: PYTHON (default python3) makes the venv; GOVHALL_PIP_OPTS is added to
`pip install`, e.g. "--no-index --find-links /media/usb/wheels" for a hall without internet.
EOF
}

SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
PIP_OPTS="${GOVHALL_PIP_OPTS:-}"

PREFIX=/opt/govhall
VENV=$PREFIX/venv
ETC=/etc/govhall
STATE=/var/lib/govhall
BACKUPS=/var/backups/govhall
UNIT_DIR=/etc/systemd/system
UDEV_RULE=99-govhall-printer.rules
TLS_DIR=$ETC/tls
NGINX_SITE=/etc/nginx/sites-available/govhall
UPSTREAM_PORT=8080   # [server] port of deploy/govhall.toml: nginx passes HTTPS requests on to it
SERVICE_USER=govhall

ROOT=""
DRY_RUN=0
PACKAGES=1
START=1
SERVER_URL=""
DISPLAY_URL=""
PRINTER=""
KIOSK_TOKEN=""
TLS=0
ROLES=()

while [ $# -gt 0 ]; do
    case "$1" in
        --server-url) SERVER_URL="${2:?--server-url needs a URL}"; shift 2 ;;
        --display-url) DISPLAY_URL="${2:?--display-url needs a URL}"; shift 2 ;;
        --printer) PRINTER="${2:?--printer needs a URI}"; shift 2 ;;
        --kiosk-token) KIOSK_TOKEN="${2:?--kiosk-token needs a token}"; shift 2 ;;
        --tls) TLS=1; shift ;;
        --no-packages) PACKAGES=0; shift ;;
        --no-start) START=0; shift ;;
        --root) ROOT="$(realpath -m "${2:?--root needs a folder}")"; shift 2 ;;
        --dry-run) DRY_RUN=1; shift ;;
        -h|--help) usage; exit 0 ;;
        server|kiosk|display) ROLES+=("$1"); shift ;;
        *) echo "install.sh: unknown argument: $1" >&2; usage >&2; exit 64 ;;
    esac
done
[ ${#ROLES[@]} -gt 0 ] || { usage >&2; exit 64; }
[ "$ROOT" = "/" ] && ROOT=""

has_role() { local role; for role in "${ROLES[@]}"; do [ "$role" = "$1" ] && return 0; done; return 1; }
if [ "$TLS" = 1 ] && ! has_role server; then
    echo "install.sh: --tls is for the server role (nginx in front of the queue server)" >&2
    exit 64
fi
say() { printf '==> %s\n' "$*"; }
# Every change goes through run: printed in a dry run, done otherwise.
run() {
    if [ "$DRY_RUN" = 1 ]; then printf '+ %s\n' "$*"; else "$@"; fi
}
# A path on the machine being installed.
at() { printf '%s%s' "$ROOT" "$1"; }

if [ "$DRY_RUN" = 0 ] && [ -z "$ROOT" ] && [ "$(id -u)" != 0 ]; then
    echo "install.sh: run as root (sudo $0 ${ROLES[*]})" >&2
    exit 77
fi

# --- system packages ------------------------------------------------------------

browser_package() {
    # Debian calls it chromium; older Raspberry Pi OS images chromium-browser.
    if apt-cache show chromium >/dev/null 2>&1; then echo chromium; else echo chromium-browser; fi
}

system_packages() {
    local packages=(python3 python3-venv python3-pip ca-certificates sqlite3 fonts-wqy-microhei)
    if has_role server; then packages+=(espeak-ng sox); fi
    if has_role server && [ "$TLS" = 1 ]; then packages+=(nginx openssl); fi
    if has_role kiosk; then packages+=(libgl1 libegl1 libgles2 libgbm1 libdrm2 libmtdev1 udev fonts-hanazono); fi  # Hanazono: rare hanzi (Ext A–F) on tickets
    if has_role display; then packages+=(cage "$(browser_package)" fonts-noto-cjk); fi
    printf '%s\n' "${packages[@]}" | awk '!seen[$0]++'
}

install_packages() {
    if [ "$PACKAGES" = 0 ] || [ -n "$ROOT" ]; then
        say "system packages: skipped (install by hand: $(system_packages | tr '\n' ' '))"
        return
    fi
    local missing=() package
    while read -r package; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
    done < <(system_packages)
    if [ ${#missing[@]} -eq 0 ]; then say "system packages: all present"; return; fi
    say "system packages: ${missing[*]}"
    run apt-get update
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

# --- the service user -----------------------------------------------------------

create_user() {
    say "service user: $SERVICE_USER"
    run install -D -m 0644 "$SOURCE/deploy/sysusers.conf" "$(at /etc/sysusers.d/govhall.conf)"
    if [ -n "$ROOT" ]; then
        run systemd-sysusers --root="$ROOT" "$(at /etc/sysusers.d/govhall.conf)"
    else
        run systemd-sysusers /etc/sysusers.d/govhall.conf
    fi
}

# uid:gid of the service user on the machine being installed (numbers, so that a
# staging tree's own /etc/passwd counts, not the host's).
owner() {
    if [ "$DRY_RUN" = 1 ] && ! grep -q "^$SERVICE_USER:" "$(at /etc/passwd)" 2>/dev/null; then
        echo "$SERVICE_USER:$SERVICE_USER"; return
    fi
    awk -F: -v user="$SERVICE_USER" '$1 == user { print $3 ":" $4 }' "$(at /etc/passwd)"
}

# --- the program ----------------------------------------------------------------

install_venv() {
    local target="$SOURCE"
    if has_role kiosk; then target="${SOURCE}[kiosk]"; fi
    say "virtual environment: $VENV"
    run install -d -m 0755 "$(at $PREFIX)" "$(at $PREFIX/docs)"
    if [ ! -x "$(at $VENV/bin/python)" ]; then
        run "$PYTHON" -m venv "$(at $VENV)"
    fi
    # shellcheck disable=SC2086  # PIP_OPTS is a list of options
    run "$(at $VENV/bin/python)" -m pip install --quiet --disable-pip-version-check $PIP_OPTS "$target"
    run install -m 0644 "$SOURCE/docs/deploying.md" "$(at $PREFIX/docs/deploying.md)"
    run install -D -m 0755 "$SOURCE/deploy/govhall-wrapper.sh" "$(at /usr/local/bin/govhall)"
}

# --- configuration --------------------------------------------------------------

# Set KEY='VALUE' in an environment file: replace the line that sets KEY, or append one.
# Single quotes keep the value literal both for systemd and for a shell that sources the
# file (a printer URI has '&' and '?').
set_env() {
    local file="$1" key="$2" value="$3" updated
    case "$value" in *"'"*|*$'\n'*) echo "install.sh: $key: a value cannot contain ' or a newline" >&2; exit 64 ;; esac
    value="'$value'"
    if [ "$DRY_RUN" = 1 ]; then printf '+ set %s in %s\n' "$key" "$file"; return; fi
    updated="$(KEY="$key" VALUE="$value" awk '
        index($0, ENVIRON["KEY"] "=") == 1 { if (!done) print ENVIRON["KEY"] "=" ENVIRON["VALUE"]; done = 1; next }
        { print }
        END { if (!done) print ENVIRON["KEY"] "=" ENVIRON["VALUE"] }' "$file")"
    # rewrite in place, so the file keeps its owner and mode
    printf '%s\n' "$updated" > "$file"
}

env_has() { [ -f "$1" ] && grep -q "^$2=" "$1"; }

install_config() {
    local env_file toml display_env
    env_file="$(at $ETC/govhall.env)"
    toml="$(at $ETC/govhall.toml)"
    display_env="$(at $ETC/display.env)"
    say "configuration: $ETC"
    run install -d -m 0755 "$(at $ETC)"
    if [ ! -e "$toml" ]; then
        run install -m 0644 "$SOURCE/deploy/govhall.toml" "$toml"
    fi
    if [ ! -e "$env_file" ]; then
        run install -m 0640 "$SOURCE/deploy/govhall.env" "$env_file"
    fi
    run chown "root:$(owner | cut -d: -f2)" "$env_file"
    local server_url="${SERVER_URL:-http://127.0.0.1:8080}"
    if has_role server; then
        if ! env_has "$env_file" GOVHALL_SERVER_SECRET_KEY; then
            set_env "$env_file" GOVHALL_SERVER_SECRET_KEY "$("$PYTHON" -c 'import secrets; print(secrets.token_hex(32))')"
        fi
        if [ "$TLS" = 1 ]; then
            # what QR codes and links point at; the login cookies then travel only over HTTPS
            set_env "$env_file" GOVHALL_SERVER_PUBLIC_URL "https://$(tls_name)"
            set_env "$env_file" GOVHALL_SERVER_SECURE_COOKIES true
        elif [ -n "$SERVER_URL" ] || ! env_has "$env_file" GOVHALL_SERVER_PUBLIC_URL; then
            set_env "$env_file" GOVHALL_SERVER_PUBLIC_URL "$server_url"
        fi
    fi
    if has_role kiosk; then
        if [ -n "$SERVER_URL" ] || ! env_has "$env_file" GOVHALL_KIOSK_SERVER; then
            set_env "$env_file" GOVHALL_KIOSK_SERVER "$server_url"
        fi
        if [ -n "$PRINTER" ]; then set_env "$env_file" GOVHALL_KIOSK_PRINTER "$PRINTER"; fi
        if [ -n "$KIOSK_TOKEN" ]; then set_env "$env_file" GOVHALL_KIOSK_TOKEN "$KIOSK_TOKEN"; fi
        if ! env_has "$env_file" GOVHALL_KIOSK_ADMIN_PIN; then
            # the PIN that lets an administrator leave the kiosk app; shown once, kept in the file
            local pin
            pin="$("$PYTHON" -c 'import secrets; print(f"{secrets.randbelow(10**6):06d}")')"
            set_env "$env_file" GOVHALL_KIOSK_ADMIN_PIN "$pin"
            [ "$DRY_RUN" = 1 ] || say "kiosk admin PIN: $pin (GOVHALL_KIOSK_ADMIN_PIN in $ETC/govhall.env)"
        fi
    fi
    if has_role display; then
        if [ ! -e "$display_env" ]; then
            run install -m 0644 "$SOURCE/deploy/display.env" "$display_env"
        fi
        if [ -n "$DISPLAY_URL" ] || [ -n "$SERVER_URL" ] || ! env_has "$display_env" GOVHALL_DISPLAY_URL; then
            set_env "$display_env" GOVHALL_DISPLAY_URL "${DISPLAY_URL:-${server_url%/}/display}"
        fi
        if ! env_has "$display_env" GOVHALL_BROWSER; then
            local browser=/usr/bin/chromium
            if [ ! -x "$(at $browser)" ] && [ -x "$(at /usr/bin/chromium-browser)" ]; then browser=/usr/bin/chromium-browser; fi
            set_env "$display_env" GOVHALL_BROWSER "$browser"
        fi
    fi
}

# --- HTTPS: nginx with the hall's own certificate -------------------------------

# The name browsers use for the server: the host of --server-url, else this machine's name.
tls_name() {
    local name
    if [ -n "$SERVER_URL" ]; then
        name="${SERVER_URL#*://}"; name="${name%%/*}"; name="${name%%:*}"
    else
        name="$(hostname -f 2>/dev/null || hostname)"
    fi
    if ! [[ "$name" =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]]; then
        echo "install.sh: --tls: '$name' is not a host name or IPv4 address for a certificate" >&2
        exit 64
    fi
    printf '%s' "$name"
}

install_tls() {
    local name cert key san site
    name="$(tls_name)"
    cert="$TLS_DIR/govhall.crt"
    key="$TLS_DIR/govhall.key"
    say "HTTPS: nginx for https://$name/ -> 127.0.0.1:$UPSTREAM_PORT"
    run install -d -m 0755 "$(at $TLS_DIR)"
    if [ -s "$(at $cert)" ] && [ -s "$(at $key)" ]; then
        # the hall's browsers already trust it: a re-run never replaces it (delete both files for a new one)
        say "certificate: kept $cert"
    else
        if [[ "$name" =~ ^[0-9]+(\.[0-9]+){3}$ ]]; then san="IP:$name"; else san="DNS:$name"; fi
        say "certificate: $cert for $name (10 years; install it as trusted on the hall's computers)"
        (umask 0077
         run openssl req -x509 -newkey rsa:2048 -sha256 -nodes -days 3650 -subj "/CN=$name" \
             -addext "subjectAltName=$san,DNS:localhost,IP:127.0.0.1" \
             -keyout "$(at $key)" -out "$(at $cert)" 2>/dev/null)
        run chmod 0644 "$(at $cert)"
    fi
    site="$(at $NGINX_SITE)"
    run install -d -m 0755 "$(at /etc/nginx/sites-available)" "$(at /etc/nginx/sites-enabled)"
    if [ "$DRY_RUN" = 1 ]; then
        printf '+ write %s\n' "$site"
    else
        sed -e "s|@TLS_NAME@|$name|g" -e "s|@CERT@|$cert|g" -e "s|@KEY@|$key|g" \
            -e "s|@UPSTREAM_PORT@|$UPSTREAM_PORT|g" "$SOURCE/deploy/nginx-govhall.conf" > "$site"
        chmod 0644 "$site"
    fi
    run ln -sfn ../sites-available/govhall "$(at /etc/nginx/sites-enabled/govhall)"
    # Debian's welcome page also answers port 80 as the default server; the hall's server has one site
    if [ -L "$(at /etc/nginx/sites-enabled/default)" ]; then run rm "$(at /etc/nginx/sites-enabled/default)"; fi
    if [ -z "$ROOT" ]; then run nginx -t -q; fi
}

# --- units, udev, folders -------------------------------------------------------

install_units() {
    say "systemd units: $UNIT_DIR"
    local unit
    for unit in "$SOURCE"/systemd/govhall-*.service "$SOURCE"/systemd/govhall-*.timer; do
        run install -D -m 0644 "$unit" "$(at $UNIT_DIR)/$(basename "$unit")"
    done
}

install_udev_rule() {
    local rule="$SOURCE/printer/$UDEV_RULE"
    say "udev rule for USB ticket printers: /etc/udev/rules.d/$UDEV_RULE"
    if [ ! -f "$rule" ]; then
        echo "install.sh: $rule is missing from this checkout" >&2
        exit 1
    fi
    run install -D -m 0644 "$rule" "$(at /etc/udev/rules.d/$UDEV_RULE)"
    if [ -z "$ROOT" ] && [ -d /run/udev ]; then
        run udevadm control --reload-rules
        run udevadm trigger --subsystem-match=usb --subsystem-match=usbmisc --subsystem-match=tty
    fi
}

make_folders() {
    say "state folders: $STATE${1:+, $BACKUPS}"
    run install -d -m 0750 -o "$(owner | cut -d: -f1)" -g "$(owner | cut -d: -f2)" "$(at $STATE)"
    if [ -n "${1:-}" ]; then
        run install -d -m 0750 -o "$(owner | cut -d: -f1)" -g "$(owner | cut -d: -f2)" "$(at $BACKUPS)"
    fi
}

# --- first run ------------------------------------------------------------------

first_init() (
    # a subshell: the umask below is for the database only
    say "database: govhall init"
    local govhall
    govhall="$(at $VENV/bin/govhall)"
    if [ -n "$ROOT" ]; then
        # The config names the machine's own paths; point them into the staging tree.
        umask 0027
        run env GOVHALL_CONFIG="$(at $ETC/govhall.toml)" \
            GOVHALL_SERVER_DATABASE="$(at $STATE/govhall.db)" GOVHALL_SERVER_VOICE_DIR="$(at $STATE/voice)" \
            GOVHALL_CONTENT_DATABASE="$(at $STATE/content.db)" GOVHALL_KIOSK_CACHE_DIR="$(at $STATE/kiosk)" \
            "$govhall" init
        run chown -R "$(owner)" "$(at $STATE)"
    else
        # as the service user, with this machine's settings, like the units
        run runuser -u "$SERVICE_USER" -- sh -c \
            "umask 0027; set -a; . $ETC/govhall.env; set +a; exec $govhall --config $ETC/govhall.toml init"
    fi
)

# The default voice pack (espeak-ng, offline), unless the hall already has one: a
# recorded pack put there with `govhall voice build --from DIR` is never replaced.
voice_pack() (
    umask 0027
    if compgen -G "$(at $STATE/voice)/*.wav" >/dev/null; then
        say "voice pack: kept the one in $STATE/voice"
        return
    fi
    say "voice pack: govhall voice build"
    local govhall
    govhall="$(at $VENV/bin/govhall)"
    if [ -n "$ROOT" ]; then
        run env GOVHALL_CONFIG="$(at $ETC/govhall.toml)" GOVHALL_SERVER_VOICE_DIR="$(at $STATE/voice)" \
            "$govhall" voice build
        run chown -R "$(owner)" "$(at $STATE/voice)"
    else
        run runuser -u "$SERVICE_USER" -- sh -c \
            "umask 0027; set -a; . $ETC/govhall.env; set +a; exec $govhall --config $ETC/govhall.toml voice build"
    fi
)

# --- units on -------------------------------------------------------------------

enable_units() {
    local now=() later=()
    if has_role server; then now+=(govhall-server.service govhall-backup.timer govhall-sync.timer); fi
    # The screens take over tty1: enabled now, started at the next boot (or by hand),
    # so that an administrator working on tty1 is not thrown out.
    if has_role kiosk; then later+=(govhall-kiosk.service); fi
    if has_role display; then later+=(govhall-display.service); fi
    say "enable: ${now[*]} ${later[*]}"
    if [ -n "$ROOT" ]; then
        run systemctl --root="$ROOT" enable "${now[@]}" "${later[@]}"
        return
    fi
    run systemctl daemon-reload
    run systemctl enable "${now[@]}" "${later[@]}"
    if [ "$TLS" = 1 ]; then run systemctl enable nginx.service; fi
    if [ "$START" = 1 ] && [ ${#now[@]} -gt 0 ]; then
        # restart, so that a re-run (an upgrade) runs the new code
        run systemctl restart "${now[@]}"
        if [ "$TLS" = 1 ]; then run systemctl reload-or-restart nginx.service; fi
    fi
    if [ ${#later[@]} -gt 0 ] && [ "$(systemctl get-default 2>/dev/null)" = graphical.target ]; then
        echo "install.sh: this machine boots into a desktop, which also wants the screen;" \
             "for a kiosk or display: systemctl set-default multi-user.target" >&2
    fi
}

# --- the order of things --------------------------------------------------------

say "govhall from $SOURCE, roles: ${ROLES[*]}${ROOT:+, into $ROOT}$([ "$DRY_RUN" = 1 ] && echo ' (dry run)')"
install_packages
create_user
install_venv
install_config
if has_role server && [ "$TLS" = 1 ]; then install_tls; fi
install_units
if has_role kiosk; then install_udev_rule; fi
if has_role server; then make_folders with-backups; else make_folders; fi
if has_role server; then first_init; voice_pack; fi
enable_units
say "done"
if has_role kiosk && ! env_has "$(at $ETC/govhall.env)" GOVHALL_KIOSK_TOKEN; then
    echo "next: on the server run 'sudo govhall kiosk register 大厅1号机', then here:" \
         "sudo $0 --kiosk-token TOKEN kiosk" >&2
fi
