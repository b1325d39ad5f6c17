#!/bin/sh
# Starts Chromium for cutroom (see src/browser/chromium-launch.ts). Playwright runs this in Chromium's place; its
# pipe (file descriptors 3 and 4) passes through every exec below untouched.
# - a data-segment cap per Chromium process (each page's renderer is its own process): a page that allocates
#   without bound gets an allocation error or dies instead of taking the machine's memory;
# - a clean environment: none of cutroom's variables (tokens, keys) reach Chromium;
# - when started as root, Chromium runs as the dedicated unprivileged user, which owns only its profile.
set -eu
bin="$CUTROOM_CHROMIUM_BIN"
user="${CUTROOM_CHROMIUM_USER:-}"
data_kb="$CUTROOM_CHROMIUM_DATA_KB"
profile=/tmp
for arg in "$@"; do
  case "$arg" in
    --user-data-dir=*) profile="${arg#--user-data-dir=}" ;;
  esac
done
ulimit -d "$data_kb"
if [ -n "$user" ]; then
  chown -R "$user:" "$profile"
  exec setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups --inh-caps=-all --no-new-privs -- \
    env -i HOME="$profile" PATH=/usr/bin:/bin "$bin" "$@"
fi
exec env -i HOME="$profile" PATH=/usr/bin:/bin "$bin" "$@"
