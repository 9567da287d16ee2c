"""Cutting prompts into the segments Comprehend DetectToxicContent accepts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# DetectToxicContent: at most 10 segments of at most 1 KB of UTF-8 each.
MAX_SEGMENT_BYTES = 1024
MAX_SEGMENTS = 10

PromptSource = Literal["prompt", "negative_prompt"]


@dataclass(frozen=True)
class Segment:
    source: PromptSource
    text: str


class TooManySegments(ValueError):
    pass


def split_utf8(text: str, max_bytes: int = MAX_SEGMENT_BYTES) -> list[str]:
    """Split text into pieces of at most max_bytes of UTF-8.

    Cuts at the last whitespace before the limit when there is one, so that
    words are scored whole, and never inside a character.
    """
    pieces: list[str] = []
    rest = text.strip()
    while rest:
        if len(rest.encode("utf-8")) <= max_bytes:
            pieces.append(rest)
            break
        cut = _longest_prefix_within(rest, max_bytes)
        space = rest.rfind(" ", 0, cut + 1)
        if space > 0:
            cut = space
        pieces.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    return [piece for piece in pieces if piece]


def _longest_prefix_within(text: str, max_bytes: int) -> int:
    """Number of leading characters whose UTF-8 encoding fits in max_bytes."""
    size = 0
    for index, char in enumerate(text):
        size += len(char.encode("utf-8"))
        if size > max_bytes:
            return index
    return len(text)


def prompt_segments(prompt: str, negative_prompt: str = "") -> list[Segment]:
    """Every segment to score: the prompt's, then the negative prompt's."""
    segments = [Segment("prompt", piece) for piece in split_utf8(prompt)]
    segments += [Segment("negative_prompt", piece) for piece in split_utf8(negative_prompt)]
    if len(segments) > MAX_SEGMENTS:
        raise TooManySegments(
            f"the prompts need {len(segments)} segments of 1 KB; at most {MAX_SEGMENTS} can be checked"
        )
    return segments
