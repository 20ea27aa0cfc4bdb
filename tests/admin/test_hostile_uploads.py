"""Uploads and form fields an admin page takes are bounded on the server: a photo is measured
before it is decoded, and a page's "back" address stays on this site."""

from __future__ import annotations

import io
import struct
import zlib
from urllib.parse import urlsplit

import pytest
from PIL import Image

from queue_server import hall_admin, store
from queue_server.errors import BadRequest


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares a huge size in a few hundred bytes (a 'decompression bomb')."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 1000))
            + chunk(b"IEND", b""))


@pytest.mark.parametrize("size", [(20_000, 20_000), (9_000, 9_000)])
def test_a_photo_with_too_many_pixels_is_refused_before_decoding(size):
    with pytest.raises(BadRequest, match="像素"):
        hall_admin.portrait_jpeg(png_header_only(*size))


def test_a_photo_file_too_big_is_refused():
    with pytest.raises(BadRequest, match="MB"):
        hall_admin.portrait_jpeg(b"\xff" * (hall_admin.PHOTO_MAX_BYTES + 1))


def test_a_large_jpeg_is_decoded_at_a_reduced_scale_and_still_fits():
    out = io.BytesIO()
    Image.new("RGB", (4000, 3000), (180, 40, 40)).save(out, "JPEG")
    portrait = Image.open(io.BytesIO(hall_admin.portrait_jpeg(out.getvalue())))
    assert portrait.size == hall_admin.PHOTO_SIZE


def test_the_bomb_through_the_admin_page_is_a_clear_refusal(live_server, admin_browser):
    response = admin_browser.post("/admin/staff/1/photo",
                                  files={"photo": ("bomb.png", png_header_only(20_000, 20_000), "image/png")})
    assert response.status_code < 500
    db = store.connect(live_server.config["server"]["database"])
    assert store.get_staff(db, 1)["photo"] is None
    db.conn.close()


@pytest.mark.parametrize("back", ["//evil.example/x", "/\\evil.example", "/%09/evil.example", "https://evil.example",
                                  "/\t/evil.example"])
def test_the_document_flags_form_never_redirects_off_site(admin_browser, back):
    response = admin_browser.post("/admin/content/documents/1/flags", {"pinned": "1", "back": back})
    assert response.status_code in (302, 303, 404), response.status_code
    if response.status_code != 404:
        location = response.headers["Location"]
        parts = urlsplit(location)
        assert parts.netloc in ("", urlsplit(admin_browser.base).netloc), location
        assert not location.startswith("//") and "\\" not in location and "\t" not in location, location
