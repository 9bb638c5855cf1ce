#!/usr/bin/env bash
# Package the bundle (dist/cosdesk, from packaging/build_bundle.py) as a .deb with
# plain dpkg-deb: the app in /opt/cosdesk, `cosdesk` and `cosdesk-gui` in /usr/bin,
# the desktop entry, AppStream metainfo and icons under /usr/share. The icon cache
# and desktop database are refreshed by the hicolor-icon-theme and
# desktop-file-utils triggers, so no maintainer scripts are needed.
#
#   packaging/build_deb.sh        -> dist/cosdesk_VERSION_ARCH.deb
set -euo pipefail
cd "$(dirname "$0")/.."

app_id=io.github.cosdesk.Cosdesk
bundle=dist/cosdesk
if [ ! -x "$bundle/cosdesk" ] || [ ! -x "$bundle/cosdesk-gui" ]; then
    echo "build_deb.sh: $bundle is missing; run .venv/bin/python packaging/build_bundle.py first" >&2
    exit 1
fi
version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' cosdesk/__init__.py)
arch=$(dpkg --print-architecture)
stage=build/deb/cosdesk_${version}_${arch}
output=dist/cosdesk_${version}_${arch}.deb

rm -rf "$stage"
mkdir -p "$stage/DEBIAN" "$stage/opt" "$stage/usr/bin" "$stage/usr/share/applications" \
    "$stage/usr/share/metainfo" "$stage/usr/share/doc/cosdesk" "$stage/usr/share/icons/hicolor/scalable/apps"
cp -a "$bundle" "$stage/opt/cosdesk"
# The bundle finds its _internal folder through the symlink (the bootloader
# resolves its own path), so /usr/bin only needs links.
ln -s /opt/cosdesk/cosdesk "$stage/usr/bin/cosdesk"
ln -s /opt/cosdesk/cosdesk-gui "$stage/usr/bin/cosdesk-gui"
install -m 0644 "resources/linux/$app_id.desktop" "$stage/usr/share/applications/"
install -m 0644 "resources/linux/$app_id.metainfo.xml" "$stage/usr/share/metainfo/"
install -m 0644 resources/icons/cosdesk.svg "$stage/usr/share/icons/hicolor/scalable/apps/$app_id.svg"
for size in 16 24 32 48 64 128 256 512; do
    mkdir -p "$stage/usr/share/icons/hicolor/${size}x${size}/apps"
    install -m 0644 "resources/icons/app/cosdesk-$size.png" \
        "$stage/usr/share/icons/hicolor/${size}x${size}/apps/$app_id.png"
done
cat > "$stage/usr/share/doc/cosdesk/copyright" <<COPYRIGHT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: cosdesk
Comment: /opt/cosdesk bundles Python, Qt (PySide6, LGPL-3.0) and the Python
 packages cosdesk depends on, each under its own license.

Files: *
License: MIT
COPYRIGHT
chmod -R u+rwX,go+rX,go-w "$stage"

# The bundle brings Python and Qt; it needs the system libraries Qt loads (the
# same list as packaging/debian-deps.sh) and the C++ runtime the spec leaves out.
# "t64 | old name" alternatives keep it installable on Debian 12 and Ubuntu 24.04.
depends="libc6 (>= 2.36), libstdc++6, libgcc-s1, libgl1, libegl1, libfontconfig1,
 libglib2.0-0t64 | libglib2.0-0, libxkbcommon0, libdbus-1-3, libxkbcommon-x11-0, libxcb-cursor0,
 libxcb-icccm4, libxcb-keysyms1, libxcb-image0, libxcb-randr0, libxcb-render-util0,
 libxcb-shape0, libxcb-xfixes0, libxcb-xkb1, libx11-xcb1"
cat > "$stage/DEBIAN/control" <<CONTROL
Package: cosdesk
Version: $version
Architecture: $arch
Maintainer: The cosdesk developers <cosdesk@users.noreply.github.com>
Installed-Size: $(du -sk --exclude=DEBIAN "$stage" | cut -f1)
Depends: $(echo "$depends" | tr -d '\n')
Recommends: fonts-wqy-microhei | fonts-noto-cjk, gnome-keyring | kwalletmanager
Section: net
Priority: optional
Homepage: https://github.com/cosdesk/cosdesk
Description: desktop upload manager for Tencent Cloud Object Storage (COS)
 Drag files or folders onto the window: each file becomes a task with its
 progress, speed and time left. Uploads can be paused, resumed, cancelled and
 retried, survive a restart or a lost network, and are verified end to end.
 .
 Also installs the cosdesk command (upload, tasks, and a local COS-compatible
 server for trying it without an account).
CONTROL

dpkg-deb --root-owner-group -Zxz --threads-max="$(nproc)" --build "$stage" "$output" >/dev/null
echo "build_deb.sh: $output ($(du -h "$output" | cut -f1), installs $(du -sh --exclude=DEBIAN "$stage" | cut -f1))"
