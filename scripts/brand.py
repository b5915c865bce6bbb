"""Draw Open HEM's brand images: a house with a lightning bolt, light and dark variants.

Run: `.venv/bin/python scripts/brand.py custom_components/open_hem/brand`
"""

from __future__ import annotations

from pathlib import Path
import sys

from PIL import Image, ImageDraw, ImageFont

type Colour = tuple[int, int, int, int]

GREEN: Colour = (20, 130, 90, 255)
WHITE: Colour = (255, 255, 255, 255)
DARK: Colour = (28, 28, 30, 255)
MINT: Colour = (120, 220, 170, 255)
HOUSE = [(128, 40), (216, 116), (196, 116), (196, 212), (60, 212), (60, 116), (40, 116)]
BOLT = [(138, 92), (100, 152), (126, 152), (114, 196), (158, 132), (132, 132), (146, 92)]


def icon(size: int, foreground: Colour, background: Colour) -> Image.Image:
    """A rounded square with a house and a bolt cut out of it, drawn on a 256 grid."""
    scale = size / 256
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle([8 * scale, 8 * scale, 248 * scale, 248 * scale], 48 * scale, background)
    draw.polygon([(x * scale, y * scale) for x, y in HOUSE], fill=foreground)
    draw.polygon([(x * scale, y * scale) for x, y in BOLT], fill=background)
    return image


def logo(height: int, text_colour: Colour, foreground: Colour, background: Colour) -> Image.Image:
    """The icon followed by the name."""
    mark = icon(height, foreground, background)
    try:
        font: ImageFont.FreeTypeFont | ImageFont.ImageFont = ImageFont.truetype(
            "DejaVuSans-Bold.ttf", int(height * 0.5)
        )
    except OSError:
        font = ImageFont.load_default(size=int(height * 0.5))
    text = "Open HEM"
    image = Image.new("RGBA", (int(height * 1.15 + font.getlength(text)), height), (0, 0, 0, 0))
    image.paste(mark, (0, 0), mark)
    ImageDraw.Draw(image).text(
        (int(height * 1.1), int(height * 0.22)), text, font=font, fill=text_colour
    )
    return image


def main(target: Path) -> None:
    """Write every image HA's brands rules ask for."""
    for prefix, colours in (("", (WHITE, GREEN)), ("dark_", (DARK, MINT))):
        text_colour = GREEN if prefix == "" else MINT
        for suffix, scale in (("", 1), ("@2x", 2)):
            icon(256 * scale, *colours).save(target / f"{prefix}icon{suffix}.png")
            logo(128 * scale, text_colour, *colours).save(target / f"{prefix}logo{suffix}.png")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
