"""QR codes as Kivy textures (the ticket's status page, a document's original page)."""

from __future__ import annotations

import qrcode
from kivy.graphics.texture import Texture
from PIL import Image


def qr_texture(text: str, box: int = 8) -> Texture:
    """A crisp black-on-white QR code; scaled up on screen without blurring."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box, border=2)
    code.add_data(text)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    texture = Texture.create(size=image.size, colorfmt="rgb")
    # Kivy textures start at the bottom row
    texture.blit_buffer(image.transpose(Image.Transpose.FLIP_TOP_BOTTOM).tobytes(), colorfmt="rgb",
                        bufferfmt="ubyte")
    texture.mag_filter = "nearest"
    return texture
