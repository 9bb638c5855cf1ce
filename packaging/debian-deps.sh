#!/bin/sh
# Installs the Debian packages cosdesk needs on a fresh machine: Python's venv,
# and the system libraries Qt loads (offscreen and on a real X display).
# With --test, also what the test suite uses: a real Secret Service (gnome-keyring
# on a private D-Bus) for the keyring round trip, openssl for the TLS-failure test.
set -eu
[ "$(id -u)" = 0 ] && as_root="" || as_root="sudo"
extra=""
[ "${1:-}" = "--test" ] && extra="gnome-keyring dbus openssl util-linux"
export DEBIAN_FRONTEND=noninteractive
$as_root apt-get update -qq
# shellcheck disable=SC2086  # $extra is a list of package names
$as_root apt-get install -y -qq --no-install-recommends \
    python3 python3-venv python3-pip \
    libgl1 libegl1 libfontconfig1 libglib2.0-0 libxkbcommon0 libdbus-1-3 \
    libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 \
    libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xfixes0 libxcb-xkb1 libx11-xcb1 \
    fonts-dejavu-core fonts-wqy-microhei $extra >/dev/null
