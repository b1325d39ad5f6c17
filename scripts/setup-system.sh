#!/usr/bin/env bash
# Installs the system packages cutroom runs on (Debian), only when one is missing, so it is fast to re-run.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || need+=(chromium)
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
command -v ffprobe >/dev/null 2>&1 || need+=(ffmpeg)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
# Speech for the transcription tests' spoken-word fixture; nothing at run time needs it.
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)

# As root, cutroom runs Chromium as this unprivileged user (src/browser/chromium-launch.ts).
chromium_user="${CUTROOM_CHROMIUM_USER:-cutroom-chromium}"
if [ "$(id -u)" -eq 0 ] && ! id -u "$chromium_user" >/dev/null 2>&1; then
  echo "cutroom setup: creating user $chromium_user for Chromium" >&2
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$chromium_user"
fi

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)

echo "cutroom setup: installing ${need[*]}" >&2
if ! command -v apt-get >/dev/null 2>&1; then
  echo "cutroom setup: this is not a Debian-based system (no apt-get). Install these yourself: ${need[*]}" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=sudo
  else
    echo "cutroom setup: installing system packages needs root. Run: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "cutroom setup: done" >&2
