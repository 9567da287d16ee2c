"""Flat drawn figures the Rekognition stand-in's NudeNet detector really labels,
drawn with Pillow when a test needs them (no image is downloaded or stored).

Their shapes and colours were searched for against the model NudeNet 3.4.2
ships (320n), a few hundred drawings each, keeping the one the detector named
most confidently; another model version may see them differently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageDraw, ImageFilter

RGB = tuple[int, int, int]
WIDTH, HEIGHT, MIDDLE = 512, 640, 256


@dataclass(frozen=True)
class Figure:
    background: RGB
    skin: RGB
    shoulders: int  # half widths, in pixels
    waist: int
    hips: int
    head: int
    hair: RGB | None
    shade: int  # how much darker than the skin chest and buttocks are drawn
    chest: Literal["breasts", "pecs"]
    chest_x: int  # from the middle
    chest_y: int
    chest_radius: int
    nipple: RGB | None = None  # drawn only when nothing covers the chest
    top: Literal["triangles"] | None = None
    top_size: int = 0
    bottom: Literal["briefs", "trunks"] | None = None
    bottom_height: int = 0
    suit: RGB = (0, 0, 0)
    buttocks: tuple[int, int] | None = None  # (x from the middle, radius), seen from behind
    blur: int = 0

    def draw(self) -> Image.Image:
        image = Image.new("RGB", (WIDTH, HEIGHT), self.background)
        pen = ImageDraw.Draw(image)
        skin, shoulders, waist, hips = self.skin, self.shoulders, self.waist, self.hips
        pen.ellipse((MIDDLE - self.head, 30, MIDDLE + self.head, 30 + 2.4 * self.head), fill=skin)
        if self.hair:
            box = (MIDDLE - self.head, 26, MIDDLE + self.head, 30 + 1.4 * self.head)
            pen.chord(box, 180, 360, fill=self.hair)
        pen.rectangle((241, 130, 271, 160), fill=skin)
        waist_line = [(MIDDLE + waist, 380), (MIDDLE - waist, 380)]
        pen.polygon([(MIDDLE - shoulders, 160), (MIDDLE + shoulders, 160), *waist_line], fill=skin)
        for side in (-1, 1):
            arm = [(shoulders, 160), (shoulders + 40, 330), (shoulders + 20, 335), (shoulders - 20, 200)]
            pen.polygon([(MIDDLE + side * x, y) for x, y in arm], fill=skin)
        pen.polygon(
            [*waist_line[::-1], (MIDDLE + waist + hips, 440), (MIDDLE - waist - hips, 440)], fill=skin
        )
        pen.polygon([(MIDDLE - waist - hips, 440), (250, 440), (240, 620), (200, 620)], fill=skin)
        pen.polygon([(262, 440), (MIDDLE + waist + hips, 440), (312, 620), (272, 620)], fill=skin)
        shaded = tuple(max(0, channel - self.shade) for channel in skin)
        self._draw_chest(pen, shaded)
        if self.buttocks:
            offset, radius = self.buttocks
            for side in (-1, 1):
                x = MIDDLE + side * offset
                pen.ellipse((x - radius, 400 - radius, x + radius, 400 + radius), fill=shaded)
            cleft = tuple(max(0, channel - 2 * self.shade) for channel in skin)
            pen.line((MIDDLE, 380, MIDDLE, 380 + 2 * radius), fill=cleft, width=3)
        if self.bottom == "briefs":
            pen.polygon(
                [(MIDDLE - waist - 4, 390), (MIDDLE + waist + 4, 390), (MIDDLE, 390 + self.bottom_height)],
                fill=self.suit,
            )
        elif self.bottom == "trunks":
            pen.rectangle(
                (MIDDLE - waist - hips, 380, MIDDLE + waist + hips, 380 + self.bottom_height), fill=self.suit
            )
        return image.filter(ImageFilter.GaussianBlur(self.blur))

    def _draw_chest(self, pen: ImageDraw.ImageDraw, shaded: tuple[int, ...]) -> None:
        radius, y, size = self.chest_radius, self.chest_y, self.top_size
        for side in (-1, 1):
            x = MIDDLE + side * self.chest_x
            box = (x - radius, y - radius, x + radius, y + radius)
            if self.chest == "breasts":
                pen.ellipse(box, fill=shaded)
            else:
                pen.arc(box, 10, 170, fill=shaded, width=4)
            if self.top == "triangles":
                pen.polygon([(x - size, y - size), (x + size, y - size), (x, y + size)], fill=self.suit)
            elif self.nipple:
                r, low = 9, y + radius // 3
                pen.ellipse((x - r, low - r, x + r, low + r), fill=self.nipple)
        if self.top:
            pen.line(
                (MIDDLE - self.chest_x - size, y, MIDDLE + self.chest_x + size, y), fill=self.suit, width=3
            )


# NudeNet: FEMALE_BREAST_EXPOSED (0.84), which the stand-in reports as Exposed Female Nipple.
BARE_CHEST = Figure(
    background=(246, 206, 91),
    skin=(234, 146, 99),
    shoulders=120,
    waist=59,
    hips=3,
    head=45,
    hair=(5, 5, 5),
    shade=25,
    chest="pecs",
    chest_x=38,
    chest_y=233,
    chest_radius=40,
    nipple=(147, 73, 61),
    buttocks=(23, 52),
    blur=3,
)

# NudeNet: FEMALE_GENITALIA_COVERED (0.67): Female Swimwear or Underwear.
IN_BRIEFS = Figure(
    background=(253, 179, 228),
    skin=(228, 115, 84),
    shoulders=98,
    waist=84,
    hips=25,
    head=41,
    hair=(79, 79, 79),
    shade=7,
    chest="pecs",
    chest_x=26,
    chest_y=245,
    chest_radius=18,
    nipple=(123, 65, 80),
    bottom="briefs",
    bottom_height=50,
    suit=(183, 101, 159),
    blur=2,
)

# NudeNet: BUTTOCKS_COVERED (0.76): Partially Exposed Buttocks, a Non-Explicit Nudity.
IN_A_BIKINI_FROM_BEHIND = Figure(
    background=(161, 142, 142),
    skin=(236, 152, 81),
    shoulders=75,
    waist=66,
    hips=0,
    head=38,
    hair=None,
    shade=29,
    chest="breasts",
    chest_x=33,
    chest_y=239,
    chest_radius=28,
    top="triangles",
    top_size=40,
    bottom="trunks",
    bottom_height=54,
    suit=(28, 178, 239),
    buttocks=(40, 54),
    blur=1,
)
