"""Translating a prompt to English before it is checked: what a translation is,
and the one way it can fail."""

from __future__ import annotations

from dataclasses import dataclass

# Comprehend's toxicity model and SDXL both read English.
CHECKED_LANGUAGE = "en"
# Let Translate detect the language itself (it asks Comprehend).
DETECT_LANGUAGE = "auto"


@dataclass(frozen=True)
class Translation:
    text: str
    source_language: str
    # The terminologies the translator reports having applied: how the text was made.
    terminologies: tuple[str, ...] = ()


class Untranslatable(Exception):
    """The text could not be translated to English: the pair is unsupported, the
    language unclear, or the service failed past its retry. The message is for
    the caller and names no internal error code."""
