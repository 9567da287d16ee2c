"""The image-prompt policy: the operator's rules (policy/image-policy.toml) and the
real-people rule. Pure logic: which rule a prompt breaks, and on which words.

The file is read and its patterns compiled on first use, not at import, so a
cold start that never checks a prompt pays nothing for it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

POLICY_FILE = Path(__file__).resolve().parent.parent / "policy" / "image-policy.toml"

PeopleSetting = Literal["allow", "refuse-harmful", "refuse"]
PEOPLE_SETTINGS: tuple[str, ...] = ("allow", "refuse-harmful", "refuse")

# Inflections a listed word also matches: English plurals, tenses and agent nouns,
# and the commonest German and Romance endings.
_SUFFIXES = r"(?:s|es|ed|d|ing|er|ers|en|n|e|'s)?"
# Scripts written without spaces between words: their terms match anywhere.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_WORD = re.compile(r"\w+")


class PolicyError(ValueError):
    """The policy file is malformed; the message names the place."""


def fold(text: str) -> str:
    """Case- and accent-insensitive form, so "Niña" matches "nina" and "NIÑA"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _word_pattern(word: str) -> str:
    if word.endswith("*"):
        return re.escape(word[:-1]) + r"\w*"
    if not word[-1].isalpha():
        return re.escape(word)
    escaped = re.escape(word)
    if word.endswith("e"):  # torture -> torturing, tortured
        return f"(?:{escaped}|{re.escape(word[:-1])}){_SUFFIXES}"
    # stab -> stabbed, stabbing: the last consonant may double.
    return f"{escaped}{re.escape(word[-1])}?{_SUFFIXES}"


def term_pattern(term: str) -> str:
    """The regular expression of one listed term (see the policy file's header)."""
    if term.startswith("re:"):
        return term[3:]
    folded = fold(term.strip())
    if _UNSPACED.search(folded):
        return re.escape(folded)
    words = folded.replace("-", " ").split()
    if not words:
        raise PolicyError(f"empty term {term!r}")
    # The words of a phrase follow one another, separated by spaces, hyphens or an apostrophe.
    return r"(?<!\w)" + r"[\s\-']+".join(_word_pattern(word) for word in words) + r"(?!\w)"


@dataclass(frozen=True)
class TermList:
    name: str
    pattern: re.Pattern[str]

    def find(self, folded: str) -> list[re.Match[str]]:
        return list(self.pattern.finditer(folded))


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    says: str
    all_of: tuple[TermList, ...]
    within: int | None = None


@dataclass(frozen=True)
class Policy:
    version: str
    rules: tuple[Rule, ...]
    people_harmful: tuple[TermList, ...]


@dataclass(frozen=True)
class PolicyHit:
    """A rule the prompt breaks, with the words that made it."""

    rule: str
    category: str
    says: str
    words: tuple[str, ...]


def parse_policy(text: str, source: str = "policy") -> Policy:
    import tomllib  # only when a prompt is first checked, not at cold start

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(f"{source}: not valid TOML: {error}") from None
    version = data.get("version")
    if not isinstance(version, str) or not version:
        raise PolicyError(f"{source}: `version` must be a non-empty string")
    lists: dict[str, TermList] = {}
    for name, languages in (data.get("terms") or {}).items():
        if not isinstance(languages, dict) or not languages:
            raise PolicyError(f"{source}: terms.{name} must map languages to lists of terms")
        terms = [term for values in languages.values() for term in values]
        if not all(isinstance(term, str) and term.strip() for term in terms):
            raise PolicyError(f"{source}: terms.{name} holds a term that is not a non-empty string")
        try:
            pattern = re.compile("|".join(term_pattern(term) for term in terms), re.IGNORECASE)
        except re.error as error:
            raise PolicyError(f"{source}: terms.{name}: bad pattern: {error}") from None
        lists[name] = TermList(name, pattern)

    def term_lists(names: object, where: str) -> tuple[TermList, ...]:
        if not isinstance(names, list) or not names:
            raise PolicyError(f"{source}: {where} must list term names")
        unknown = [name for name in names if name not in lists]
        if unknown:
            raise PolicyError(f"{source}: {where} names unknown term lists {unknown}")
        return tuple(lists[name] for name in names)

    rules = []
    for index, rule in enumerate(data.get("rules") or []):
        where = f"rules[{index}]"
        missing = [key for key in ("id", "category", "says", "all_of") if key not in rule]
        if missing:
            raise PolicyError(f"{source}: {where} lacks {missing}")
        within = rule.get("within")
        if within is not None and (not isinstance(within, int) or within < 1):
            raise PolicyError(f"{source}: {where}.within must be a positive number of words")
        rules.append(
            Rule(
                id=str(rule["id"]),
                category=str(rule["category"]),
                says=str(rule["says"]),
                all_of=term_lists(rule["all_of"], f"{where}.all_of"),
                within=within,
            )
        )
    people = data.get("people") or {}
    return Policy(version, tuple(rules), term_lists(people.get("harmful"), "people.harmful"))


@cache
def load_policy(path: Path = POLICY_FILE) -> Policy:
    """The policy in `path`, parsed once per process."""
    return parse_policy(path.read_text(encoding="utf-8"), source=str(path.name))


def _word_index(folded: str, position: int) -> int:
    return len(_WORD.findall(folded[:position]))


def _original(text: str, folded: str, match: re.Match[str]) -> str:
    """The matched words as written, when folding kept the text's length (it almost always does)."""
    return text[match.start() : match.end()] if len(text) == len(folded) else match.group(0)


def _rule_hit(rule: Rule, text: str, folded: str) -> tuple[str, ...] | None:
    found = [term_list.find(folded) for term_list in rule.all_of]
    if not all(found):
        return None
    if rule.within is None:
        return tuple(dict.fromkeys(_original(text, folded, matches[0]) for matches in found))
    # Every list must have a match within `within` words of the first list's match; words
    # are not counted in a script without spaces, so a match in one is always near.
    for anchor in found[0]:
        at = _word_index(folded, anchor.start())
        anchor_unspaced = bool(_UNSPACED.search(anchor.group(0)))
        chosen = [_original(text, folded, anchor)]
        for matches in found[1:]:
            near = [
                m
                for m in matches
                if anchor_unspaced
                or _UNSPACED.search(m.group(0))
                or abs(_word_index(folded, m.start()) - at) <= rule.within
            ]
            if not near:
                break
            chosen.append(_original(text, folded, near[0]))
        else:
            return tuple(dict.fromkeys(chosen))
    return None


def policy_hits(policy: Policy, texts: Sequence[str]) -> list[PolicyHit]:
    """The rules any of `texts` (the original prompt and its English translation) breaks."""
    hits: dict[str, PolicyHit] = {}
    for text in texts:
        folded = fold(text)
        for rule in policy.rules:
            if rule.id in hits:
                continue
            words = _rule_hit(rule, text, folded)
            if words is not None:
                hits[rule.id] = PolicyHit(rule.id, rule.category, rule.says, words)
    return list(hits.values())


def harmful_words(policy: Policy, texts: Sequence[str]) -> tuple[str, ...]:
    """The words that make a named person's image harmful (sexual, violent, humiliating)."""
    words: dict[str, None] = {}
    for text in texts:
        folded = fold(text)
        for term_list in policy.people_harmful:
            words.update(dict.fromkeys(_original(text, folded, match) for match in term_list.find(folded)))
    return tuple(words)


def needs_people_check(setting: PeopleSetting, harmful: Sequence[str]) -> bool:
    """Whether named people must be looked for: always under `refuse`, only when
    harmful words are present under `refuse-harmful` (saving the call otherwise)."""
    return setting == "refuse" or (setting == "refuse-harmful" and bool(harmful))


def people_verdict(setting: PeopleSetting, people: Sequence[str], harmful: Sequence[str]) -> PolicyHit | None:
    """The people rule: a named real person is refused under `refuse`, and together
    with sexual, violent, humiliating or degrading words under `refuse-harmful`."""
    if not people or setting == "allow":
        return None
    names = tuple(dict.fromkeys(people))
    if setting == "refuse":
        return PolicyHit("people.refuse", "people", "a named real person", names)
    if harmful:
        return PolicyHit(
            "people.refuse-harmful",
            "people",
            "a named real person with sexual, violent, humiliating or degrading content",
            names + tuple(harmful),
        )
    return None
