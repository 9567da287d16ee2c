"""The page's colour pairs meet WCAG AA contrast (4.5:1 for body text)."""

from __future__ import annotations

import re

import pytest

from workflow.local.api import FRONTEND_DIR

# (text, background) as the stylesheet combines them.
PAIRS = [
    ("ink", "paper"),
    ("muted", "paper"),
    ("muted", "panel"),
    ("accent", "paper"),
    ("accent", "panel"),
    ("accent-ink", "accent"),
    ("ok", "ok-bg"),
    ("ink", "warn-bg"),
    ("warn", "warn-bg"),
    ("ink", "bad-bg"),
    ("bad", "bad-bg"),
    ("bad", "paper"),
]


def colours() -> dict[str, str]:
    css = (FRONTEND_DIR / "style.css").read_text()
    return dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", css))


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_contrast_formula_matches_wcag_reference_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize(("text", "background"), PAIRS)
def test_text_colours_have_aa_contrast_on_their_backgrounds(text, background):
    palette = colours()
    ratio = contrast(palette[text], palette[background])
    assert ratio >= 4.5, f"{text} on {background}: {ratio:.2f}:1"
