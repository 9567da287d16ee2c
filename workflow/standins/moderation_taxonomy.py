"""Rekognition's moderation taxonomy (model 7) as the stand-in answers it, and
what the local detectors' findings are in it.

The stand-in plays AWS's side of the contract, so it keeps its own table rather
than the product's (`text2image.domain.taxonomy`); a test holds the two together.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Each label and its parent ("" for a top-level category). Every level-1 and
# level-2 label of model 7; level 3 for the nudity branches, which the local
# detector finds, and for Graphic Violence and Death and Emaciation, which can
# be injected.
PARENTS: Mapping[str, str] = {
    "Explicit": "",
    "Explicit Nudity": "Explicit",
    "Exposed Male Genitalia": "Explicit Nudity",
    "Exposed Female Genitalia": "Explicit Nudity",
    "Exposed Buttocks or Anus": "Explicit Nudity",
    "Exposed Female Nipple": "Explicit Nudity",
    "Explicit Sexual Activity": "Explicit",
    "Sex Toys": "Explicit",
    "Non-Explicit Nudity of Intimate parts and Kissing": "",
    "Non-Explicit Nudity": "Non-Explicit Nudity of Intimate parts and Kissing",
    "Bare Back": "Non-Explicit Nudity",
    "Exposed Male Nipple": "Non-Explicit Nudity",
    "Partially Exposed Buttocks": "Non-Explicit Nudity",
    "Partially Exposed Female Breast": "Non-Explicit Nudity",
    "Implied Nudity": "Non-Explicit Nudity",
    "Obstructed Intimate Parts": "Non-Explicit Nudity of Intimate parts and Kissing",
    "Obstructed Female Nipple": "Obstructed Intimate Parts",
    "Obstructed Male Genitalia": "Obstructed Intimate Parts",
    "Kissing on the Lips": "Non-Explicit Nudity of Intimate parts and Kissing",
    "Swimwear or Underwear": "",
    "Female Swimwear or Underwear": "Swimwear or Underwear",
    "Male Swimwear or Underwear": "Swimwear or Underwear",
    "Violence": "",
    "Weapons": "Violence",
    "Graphic Violence": "Violence",
    "Weapon Violence": "Graphic Violence",
    "Physical Violence": "Graphic Violence",
    "Self-Harm": "Graphic Violence",
    "Blood & Gore": "Graphic Violence",
    "Explosions and Blasts": "Graphic Violence",
    "Visually Disturbing": "",
    "Death and Emaciation": "Visually Disturbing",
    "Emaciated Bodies": "Death and Emaciation",
    "Corpses": "Death and Emaciation",
    "Crashes": "Visually Disturbing",
    "Drugs & Tobacco": "",
    "Products": "Drugs & Tobacco",
    "Drugs & Tobacco Paraphernalia & Use": "Drugs & Tobacco",
    "Alcohol": "",
    "Alcohol Use": "Alcohol",
    "Alcoholic Beverages": "Alcohol",
    "Rude Gestures": "",
    "Middle Finger": "Rude Gestures",
    "Gambling": "",
    "Hate Symbols": "",
    "Nazi Party": "Hate Symbols",
    "White Supremacy": "Hate Symbols",
    "Extremist": "Hate Symbols",
}

TOP_LEVEL: tuple[str, ...] = tuple(name for name, parent in PARENTS.items() if not parent)

# NudeNet's body-part classes and the model-7 label each one is evidence for.
# NudeNet's *_COVERED classes mean "covered, but provocative": a bikini, briefs,
# a bra. Its faces, feet, armpits and bellies have no model-7 label, nor has a
# covered anus (it does not say whose swimwear that is).
NUDENET_LABELS: Mapping[str, str] = {
    "FEMALE_GENITALIA_EXPOSED": "Exposed Female Genitalia",
    "MALE_GENITALIA_EXPOSED": "Exposed Male Genitalia",
    "BUTTOCKS_EXPOSED": "Exposed Buttocks or Anus",
    "ANUS_EXPOSED": "Exposed Buttocks or Anus",
    "FEMALE_BREAST_EXPOSED": "Exposed Female Nipple",
    "MALE_BREAST_EXPOSED": "Exposed Male Nipple",
    "BUTTOCKS_COVERED": "Partially Exposed Buttocks",
    "FEMALE_BREAST_COVERED": "Female Swimwear or Underwear",
    "FEMALE_GENITALIA_COVERED": "Female Swimwear or Underwear",
}


def ancestry(name: str) -> list[str]:
    """The label and its ancestors, itself first."""
    chain = [name]
    while PARENTS[chain[-1]]:
        chain.append(PARENTS[chain[-1]])
    return chain


def level(name: str) -> int:
    return len(ancestry(name))


def moderation_labels(evidence: Mapping[str, float], min_confidence: float) -> list[dict[str, Any]]:
    """The `ModerationLabels` of a response: one entry per label found and per
    ancestor of one, each ancestor as confident as its most confident
    descendant; those under `min_confidence` left out; the most confident
    first and, at equal confidence, the parent before the child."""
    confidence: dict[str, float] = {}
    for name, score in evidence.items():
        for label in ancestry(name):
            confidence[label] = max(confidence.get(label, 0.0), score)
    labels = [
        {
            "Confidence": round(score, 3),
            "Name": name,
            "ParentName": PARENTS[name],
            "TaxonomyLevel": level(name),
        }
        for name, score in confidence.items()
        if score >= min_confidence
    ]
    return sorted(labels, key=lambda label: (-label["Confidence"], label["TaxonomyLevel"]))
