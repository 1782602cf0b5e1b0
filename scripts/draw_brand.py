"""Draw the brand images into custom_components/parakey/brand/.

Drawn here rather than downloaded: a simple key-and-door mark, not Parakey's
trademark. Run: .venv/bin/python scripts/draw_brand.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "custom_components" / "parakey" / "brand"
TEAL = (0, 128, 128, 255)
WHITE = (255, 255, 255, 255)


def mark(size: int) -> Image.Image:
    """A rounded tile with a door and a keyhole, ``size`` pixels square."""
    scale = size / 256
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)

    def box(x0: float, y0: float, x1: float, y1: float) -> tuple[int, int, int, int]:
        return (
            round(x0 * scale),
            round(y0 * scale),
            round(x1 * scale),
            round(y1 * scale),
        )

    draw.rounded_rectangle(box(8, 8, 248, 248), radius=round(48 * scale), fill=TEAL)
    door = box(72, 40, 184, 220)
    draw.rounded_rectangle(
        door, radius=round(10 * scale), outline=WHITE, width=round(12 * scale)
    )
    draw.ellipse(box(110, 104, 146, 140), fill=WHITE)
    keyhole = ((118, 130), (138, 130), (144, 176), (112, 176))
    draw.polygon([(round(x * scale), round(y * scale)) for x, y in keyhole], fill=WHITE)
    return image


def logo(height: int) -> Image.Image:
    """The mark followed by a bar standing in for the word mark."""
    image = Image.new("RGBA", (height * 3, height), (0, 0, 0, 0))
    image.paste(mark(height), (0, 0))
    draw = ImageDraw.Draw(image)
    unit = height / 256
    for row, width in enumerate((560, 420)):
        top = round((88 + row * 56) * unit)
        draw.rounded_rectangle(
            (
                round(288 * unit),
                top,
                round((288 + width) * unit),
                top + round(32 * unit),
            ),
            radius=round(16 * unit),
            fill=TEAL,
        )
    return image


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    mark(256).save(OUT / "icon.png", optimize=True)
    mark(512).save(OUT / "icon@2x.png", optimize=True)
    logo(128).save(OUT / "logo.png", optimize=True)
    logo(256).save(OUT / "logo@2x.png", optimize=True)
    print(f"wrote {', '.join(sorted(p.name for p in OUT.glob('*.png')))} to {OUT}")


if __name__ == "__main__":
    main()
