"""Render the application icon (resources/icons/cosdesk.svg) into the raster files
the platforms want, under resources/icons/app/:

- cosdesk-{16,24,32,48,64,128,256,512}.png: Linux (hicolor theme, the .deb) and Qt;
- cosdesk.ico: Windows (the executables' icon), 16..256 px in one file;
- cosdesk.icns: macOS (the .app bundle), 16..1024 px in one file.

Run it whenever the SVG changes and commit the output (the PyInstaller spec and
the .deb use the files, and a build machine need not render anything):

    .venv/bin/python packaging/make_icons.py

The SVG is rendered with QtSvg, which cosdesk depends on anyway. ICO and ICNS are
simple containers of PNG (or bitmap) images, written here in a few lines rather
than adding Pillow as a build dependency for two file formats.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SVG = ROOT / "resources" / "icons" / "cosdesk.svg"
OUT = ROOT / "resources" / "icons" / "app"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# Windows shells draw small icons from the bitmap entries more reliably than from
# PNG ones (and some installer tools read only bitmaps); big ones are PNG to stay small.
ICO_BITMAP_BELOW = 64
# (ICNS type, pixel size): the PNG-based types macOS 10.7+ reads; the @2x variants
# are the same pixels under a second name, which is what Retina displays look up.
ICNS_TYPES = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"icp6", 64),
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic09", 512),
    (b"ic10", 1024),
    (b"ic11", 32),
    (b"ic12", 64),
    (b"ic13", 256),
    (b"ic14", 512),
)


def render(size: int):  # type: ignore[no-untyped-def]
    """The SVG drawn into a transparent size×size ARGB32 QImage."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: cannot read {SVG}")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image


def png_bytes(image) -> bytes:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise SystemExit("make_icons: Qt could not encode a PNG")
    buffer.close()
    return bytes(data.data())


def ico_bitmap(image) -> bytes:  # type: ignore[no-untyped-def]
    """A 32-bit ICO bitmap entry: BITMAPINFOHEADER (height doubled for the mask),
    BGRA rows bottom-up, then a 1-bit AND mask that is all zero (alpha rules)."""
    size = image.width()
    # Format_ARGB32 is 0xAARRGGBB per pixel: B, G, R, A in memory on little-endian.
    argb = image.convertToFormat(image.Format.Format_ARGB32)
    rows = [bytes(argb.constScanLine(y))[: size * 4] for y in range(size)]
    if sys.byteorder != "little":
        rows = [_argb_words_to_bgra(row) for row in rows]
    header = struct.pack("<IiiHHIIiiII", 40, size, size * 2, 1, 32, 0, size * size * 4, 0, 0, 0, 0)
    mask_row = ((size + 31) // 32) * 4
    return header + b"".join(reversed(rows)) + bytes(mask_row * size)


def _argb_words_to_bgra(row: bytes) -> bytes:
    return b"".join(row[i : i + 4][::-1] for i in range(0, len(row), 4))


def ico_file(images: dict[int, object]) -> bytes:
    entries = []
    for size in ICO_SIZES:
        image = images[size]
        data = ico_bitmap(image) if size < ICO_BITMAP_BELOW else png_bytes(image)
        entries.append((size, data))
    offset = 6 + 16 * len(entries)
    directory = struct.pack("<HHH", 0, 1, len(entries))
    blobs = b""
    for size, data in entries:
        side = 0 if size >= 256 else size  # the byte 0 means 256
        directory += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
        blobs += data
    return directory + blobs


def icns_file(images: dict[int, object]) -> bytes:
    body = b""
    for kind, size in ICNS_TYPES:
        data = png_bytes(images[size])
        body += kind + struct.pack(">I", 8 + len(data)) + data
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])  # noqa: F841 (Qt needs it alive)
    sizes = sorted({*PNG_SIZES, *ICO_SIZES, *(size for _, size in ICNS_TYPES)})
    images = {size: render(size) for size in sizes}
    OUT.mkdir(parents=True, exist_ok=True)
    written = []
    for size in PNG_SIZES:
        path = OUT / f"cosdesk-{size}.png"
        path.write_bytes(png_bytes(images[size]))
        written.append(path)
    (OUT / "cosdesk.ico").write_bytes(ico_file(images))
    (OUT / "cosdesk.icns").write_bytes(icns_file(images))
    written += [OUT / "cosdesk.ico", OUT / "cosdesk.icns"]
    for path in written:
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
