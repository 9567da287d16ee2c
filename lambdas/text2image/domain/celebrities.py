"""The people rule on the image: which recognised celebrities refuse a generated image.

Pure logic. Rekognition `RecognizeCelebrities` says who is on the image; the same
`people` setting that judges named people in the prompt judges them:

- `allow`: a recognised person never refuses an image;
- `refuse`: any celebrity recognised at or above the minimum match confidence does;
- `refuse-harmful`: such a celebrity refuses the image when the request was harmful
  for a real person: the prompt (original or English) holds one of the policy's
  `[people] harmful` words, or moderation labelled the image, at its own
  MinConfidence, in a sexual, violent, humiliating or hateful category
  (`HARMFUL_IMAGE_CATEGORIES`; such a label reaches this check only when the
  operator unblocked its category, e.g. swimwear for a fashion catalogue).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from text2image.contract import Label
from text2image.domain.policy import PeopleSetting, PolicyHit
from text2image.domain.taxonomy import top_level_category

# Model-7 top-level categories that make a real person's image sexual, violent,
# humiliating or hateful. Drugs & Tobacco, Alcohol and Gambling are not among them:
# a public figure with a glass of wine is no deepfake harm.
HARMFUL_IMAGE_CATEGORIES: tuple[str, ...] = (
    "Explicit",
    "Non-Explicit Nudity of Intimate parts and Kissing",
    "Swimwear or Underwear",
    "Violence",
    "Visually Disturbing",
    "Rude Gestures",
    "Hate Symbols",
)


@dataclass(frozen=True)
class Celebrity:
    name: str
    id: str
    # Rekognition's MatchConfidence, 0..100.
    match_confidence: float


def recognised(celebrities: Sequence[Celebrity], min_confidence: float) -> list[Celebrity]:
    """The celebrities matched at or above `min_confidence` (0..100), most confident first."""
    found = [celebrity for celebrity in celebrities if celebrity.match_confidence >= min_confidence]
    return sorted(found, key=lambda celebrity: celebrity.match_confidence, reverse=True)


def harmful_image_labels(labels: Sequence[Label]) -> list[str]:
    """The moderation labels whose top-level category is in `HARMFUL_IMAGE_CATEGORIES`."""
    parents: Mapping[str, str] = {label.name: label.parent for label in labels if label.parent}
    return [
        label.name for label in labels if top_level_category(label.name, parents) in HARMFUL_IMAGE_CATEGORIES
    ]


def needs_celebrity_check(
    setting: PeopleSetting, harmful_words: Sequence[str], harmful_labels: Sequence[str]
) -> bool:
    """Whether RecognizeCelebrities must be called: always under `refuse`, under
    `refuse-harmful` only when something harmful is present (no call otherwise)."""
    return setting == "refuse" or (setting == "refuse-harmful" and bool(harmful_words or harmful_labels))


def celebrity_verdict(
    setting: PeopleSetting,
    celebrities: Sequence[Celebrity],
    harmful_words: Sequence[str],
    harmful_labels: Sequence[str],
) -> PolicyHit | None:
    """The people rule on the image's recognised celebrities (already filtered by confidence)."""
    if not celebrities or setting == "allow":
        return None
    names = tuple(dict.fromkeys(celebrity.name for celebrity in celebrities))
    if setting == "refuse":
        return PolicyHit("people.refuse", "people", "a recognised real person on the image", names)
    if harmful_words or harmful_labels:
        return PolicyHit(
            "people.refuse-harmful",
            "people",
            "a recognised real person on an image with sexual, violent, humiliating or degrading content",
            names + tuple(dict.fromkeys(harmful_words)) + tuple(dict.fromkeys(harmful_labels)),
        )
    return None
