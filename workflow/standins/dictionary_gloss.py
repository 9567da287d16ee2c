"""What every dictionary gloss of the Translate stand-in shares (`chinese_gloss`,
`japanese_gloss`): its result, its fail-closed rule, and the rules that make
words in a head-final language's order read as an English prompt.

The fail-closed rule: a word the dictionary cannot gloss refuses the whole text
(`NotGlossable`), because dropping it could drop exactly the harmful word.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# Full-width punctuation, as Chinese and Japanese write it, and its English.
PUNCTUATION = {
    "\uff0c": ",",
    "\u3002": ".",
    "\u3001": ",",
    "\uff01": "!",
    "\uff1f": "?",
    "\uff1a": ":",
    "\uff1b": ";",
    "\uff08": "(",
    "\uff09": ")",
}
# The longest word looked up when a word the segmenter found is cut into known pieces.
LONGEST_PIECE = 8

_INNERMOST_PARENTHESES = re.compile(r"\s*\([^()]*\)\s*")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([,.!?:;)])")


@dataclass(frozen=True)
class Term:
    """One word of the source and the English it was glossed as."""

    source: str
    target: str


@dataclass(frozen=True)
class Gloss:
    text: str
    terms: tuple[Term, ...]


class NotGlossable(Exception):
    """The dictionary has no entry for part of the text."""


@dataclass
class Unit:
    """A glossed word, or a phrase the order rules built, with its grammatical tag."""

    english: str
    tag: str
    source: str


def bare_sense(definition: str) -> str:
    """The first of a dictionary definition's senses, without notes, and bare:
    "to kill; to murder" → "kill", "dog (Canis (lupus) familiaris)" → "dog"."""
    sense = definition.split(";")[0]
    while True:
        unbracketed = _INNERMOST_PARENTHESES.sub(" ", sense)
        if unbracketed == sense:
            break
        sense = unbracketed
    sense = sense.split(", ")[0].strip(" ,")
    for prefix in ("to ", "a ", "an ", "the "):
        sense = sense.removeprefix(prefix)
    return sense


def known_pieces(word: str, is_known: Callable[[str], bool], must_gloss: re.Pattern[str]) -> list[str]:
    """`word` cut into the longest pieces the dictionary knows, left to right.

    A character matching `must_gloss` that starts no known piece refuses the
    whole text; any other character (a digit, a Latin letter) stands alone."""
    pieces, start = [], 0
    while start < len(word):
        for end in range(min(len(word), start + LONGEST_PIECE), start, -1):
            if is_known(word[start:end]):
                pieces.append(word[start:end])
                start = end
                break
        else:
            if must_gloss.match(word[start]):
                raise NotGlossable(f"no dictionary entry for '{word[start]}'")
            pieces.append(word[start])
            start += 1
    return pieces


def place_locatives(
    units: list[Unit], noun_tags: tuple[str, ...], restating: frozenset[str] = frozenset()
) -> list[Unit]:
    """Move each locative (tag "f") before the run of nouns it follows ("森林 里",
    "森 の 中": forest + inside → "in forest"); a place that describes the next
    noun goes after that noun. A word in `restating` just before the place says
    it again ("在 X 上"): the locative's preposition replaces it."""
    out: list[Unit] = []
    for unit in units:
        if unit.tag != "f" or not out:
            out.append(unit)
            continue
        start = len(out)
        while start > 0 and out[start - 1].tag.startswith(noun_tags):
            start -= 1
        if start == len(out):
            out.append(unit)
            continue
        if start > 0 and out[start - 1].source in restating:
            out.pop(start - 1)
            start -= 1
        nouns = out[start:]
        del out[start:]
        english = " ".join([unit.english, *(noun.english for noun in nouns)])
        # The source as written: the nouns, then the locative that follows them.
        out.append(Unit(english, "place", "".join(noun.source for noun in nouns) + unit.source))
    return _place_after_nouns(out, noun_tags)


def _place_after_nouns(units: list[Unit], noun_tags: tuple[str, ...]) -> list[Unit]:
    """A place phrase followed by nouns describes them: "in forest house" → "house in forest"."""
    out = list(units)
    index = 0
    while index < len(out):
        if out[index].tag == "place":
            end = index + 1
            while end < len(out) and out[end].tag.startswith((*noun_tags, "m")):
                end += 1
            if end > index + 1:
                out[index:end] = [*out[index + 1 : end], out[index]]
                index = end
                continue
        index += 1
    return out


def assemble(units: Sequence[Unit]) -> Gloss:
    """The units' English as one prompt, and each glossed word as a term."""
    words = [unit.english for unit in units if unit.english]
    english = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", " ".join(_articles(words)))
    terms = tuple(Term(unit.source, unit.english) for unit in units if unit.source and unit.english)
    return Gloss(english.strip(), terms)


def _articles(words: list[str]) -> list[str]:
    """ "a sunny a day" (一个晴朗的一天) → "a sunny day"; "a old man" → "an old man"."""
    out: list[str] = []
    for word in words:
        if word == "a" and len(out) >= 2 and "a" in out[-2:]:
            continue
        out.append(word)
    return [
        "an" if word == "a" and after[:1].lower() in "aeiou" and after else word
        for word, after in zip(out, [*out[1:], ""], strict=True)
    ]
