#!/usr/bin/env bash
# Installs the Debian packages the project needs (idempotent; needs root or sudo).
set -euo pipefail
pkgs=(build-essential cmake pkg-config libjson-c-dev libpng-dev libuv1-dev
      libsentencepiece-dev sentencepiece libopenblas-dev
      libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev clang libclang-rt-14-dev python3
      libwebsockets-dev libwebsockets-evlib-uv python3-venv chromium)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
