#!/usr/bin/env bash
# Installs the Debian packages kioskd builds, tests and demos with, when any is missing.
# Usage: scripts/deps.sh [build|test|demo]   (build is the default)
set -euo pipefail
what=${1:-build}
build=(pkg-config libv4l-dev libasound2-dev libpulse-dev libdrm-dev libgbm-dev libopus-dev libvpx-dev
       libsrtp2-dev libssl-dev libyuv-dev libturbojpeg0-dev libfreetype-dev fonts-dejavu-core)
test=(systemd python3 python3-jsonschema pulseaudio chromium coturn openssl nftables iproute2)
demo=(chromium)
want=("${build[@]}")
case "$what" in
  test) want+=("${test[@]}") ;;
  demo) want+=("${demo[@]}") ;;
esac
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends "${missing[@]}" >/dev/null
fi
