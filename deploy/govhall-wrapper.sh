#!/bin/sh
# govhall for the hall's administrator: the hall's configuration and this machine's
# settings, run as the service user (e.g. `sudo govhall staff add 王丽 --role admin`).
set -a
# shellcheck source=/dev/null
if [ -r /etc/govhall/govhall.env ]; then . /etc/govhall/govhall.env; fi
set +a
export GOVHALL_CONFIG=/etc/govhall/govhall.toml
if [ "$(id -u)" = 0 ]; then
    exec runuser -u govhall -- /opt/govhall/venv/bin/govhall "$@"
fi
exec /opt/govhall/venv/bin/govhall "$@"
