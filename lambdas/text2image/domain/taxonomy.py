"""The moderation taxonomies: Comprehend's toxicity labels and Rekognition's model-7 categories."""

from __future__ import annotations

from collections.abc import Mapping

# Rekognition moderation model 7, top-level categories.
MODERATION_CATEGORIES: tuple[str, ...] = (
    "Explicit",
    "Non-Explicit Nudity of Intimate parts and Kissing",
    "Swimwear or Underwear",
    "Violence",
    "Visually Disturbing",
    "Drugs & Tobacco",
    "Alcohol",
    "Rude Gestures",
    "Gambling",
    "Hate Symbols",
)

# Comprehend DetectToxicContent labels.
TOXICITY_LABELS: tuple[str, ...] = (
    "PROFANITY",
    "HATE_SPEECH",
    "INSULT",
    "GRAPHIC",
    "HARASSMENT_OR_ABUSE",
    "SEXUAL",
    "VIOLENCE_OR_THREAT",
)

# Rekognition model 7: second level to top level.
LEVEL2_PARENTS: Mapping[str, str] = {
    "Explicit Nudity": "Explicit",
    "Explicit Sexual Activity": "Explicit",
    "Sex Toys": "Explicit",
    "Non-Explicit Nudity": "Non-Explicit Nudity of Intimate parts and Kissing",
    "Obstructed Intimate Parts": "Non-Explicit Nudity of Intimate parts and Kissing",
    "Kissing on the Lips": "Non-Explicit Nudity of Intimate parts and Kissing",
    "Female Swimwear or Underwear": "Swimwear or Underwear",
    "Male Swimwear or Underwear": "Swimwear or Underwear",
    "Weapons": "Violence",
    "Graphic Violence": "Violence",
    "Death and Emaciation": "Visually Disturbing",
    "Crashes": "Visually Disturbing",
    "Products": "Drugs & Tobacco",
    "Drugs & Tobacco Paraphernalia & Use": "Drugs & Tobacco",
    "Alcohol Use": "Alcohol",
    "Alcoholic Beverages": "Alcohol",
    "Middle Finger": "Rude Gestures",
    "Nazi Party": "Hate Symbols",
    "White Supremacy": "Hate Symbols",
    "Extremist": "Hate Symbols",
}


def top_level_category(name: str, parents: Mapping[str, str]) -> str | None:
    """The top-level category of a label, following the ParentName chain of the
    response itself first and the model-7 table second; None when unknown."""
    seen: set[str] = set()
    current = name
    while current not in seen:
        if current in MODERATION_CATEGORIES:
            return current
        seen.add(current)
        parent = parents.get(current) or LEVEL2_PARENTS.get(current)
        if not parent:
            return None
        current = parent
    return None
