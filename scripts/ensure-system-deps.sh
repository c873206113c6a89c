#!/usr/bin/env bash
# Installs the system packages the GPU and browser tests need on Debian/Ubuntu:
# Mesa lavapipe 25.x (Vulkan on CPU, for Dawn in Node) and Debian's Chromium (for browser tests).
# Idempotent: does nothing when both are present. Elsewhere it says what to install and exits 1.
set -euo pipefail

need_mesa=0; need_chromium=0
lavapipe_ok() {
  local v
  v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
  [[ -n "$v" ]] || return 1
  local major=${v%%.*}; major=${major##*:}
  [[ "$major" -ge 25 ]]
}
if command -v dpkg-query >/dev/null 2>&1; then
  lavapipe_ok || need_mesa=1
else
  # Not Debian: trust the user's setup; the GPU tests will say clearly if no adapter is found.
  exit 0
fi
[[ -x /usr/bin/chromium ]] || need_chromium=1
if [[ $need_mesa == 0 && $need_chromium == 0 ]]; then exit 0; fi

say_what() {
  echo "InT Lab tests need:" >&2
  [[ $need_mesa == 1 ]] && echo "  - Mesa lavapipe 25.x: on Debian bookworm add the bookworm-backports suite and run 'apt-get install -t bookworm-backports mesa-vulkan-drivers' (bookworm's own 22.x is refused by Dawn); on Ubuntu 24.04+ 'apt-get install mesa-vulkan-drivers'" >&2
  [[ $need_chromium == 1 ]] && echo "  - Chromium at /usr/bin/chromium: 'apt-get install chromium'" >&2
}

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else say_what; exit 1; fi
fi
if ! command -v apt-get >/dev/null 2>&1; then say_what; exit 1; fi

echo "[setup] installing system packages for GPU/browser tests (mesa=$need_mesa chromium=$need_chromium)"
. /etc/os-release || true
codename=${VERSION_CODENAME:-}
if [[ $need_mesa == 1 && "$ID" == "debian" && "$codename" == "bookworm" ]]; then
  if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo "deb http://deb.debian.org/debian bookworm-backports main" | $SUDO tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || { say_what; exit 1; }
pkgs=()
if [[ $need_mesa == 1 ]]; then
  if [[ "$codename" == "bookworm" ]]; then
    $SUDO apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null || { say_what; exit 1; }
  else
    pkgs+=(mesa-vulkan-drivers libvulkan1)
  fi
fi
[[ $need_chromium == 1 ]] && pkgs+=(chromium)
if [[ ${#pkgs[@]} -gt 0 ]]; then
  $SUDO apt-get install -y -qq "${pkgs[@]}" >/dev/null || { say_what; exit 1; }
fi
lavapipe_ok || { echo "[setup] mesa-vulkan-drivers is still older than 25.x" >&2; say_what; exit 1; }
[[ -x /usr/bin/chromium ]] || { say_what; exit 1; }
echo "[setup] done"
