"""The words and patterns behind the Comprehend stand-in's toxicity labels.

Two kinds of evidence, each with its reason:

* `CUES`: words that let alt-profanity-check's probability count, and name the
  label it counts for. The model is a bag of words trained on offensive tweets:
  on its own it scores "a black colored dog" 0.75, "pig" 0.97 and "clouds" 0.74,
  because those words sit next to slurs in its training data. So its probability
  is evidence only when the text also holds a cue word; a cue never raises it.
* `RULES`: what the model cannot see (it scores "a naked woman lying on a bed"
  0.1 and "women are too emotional to make important decisions" 0.01): phrases
  that are harmful whatever the model says, each with a fixed score and the
  harmful cases that justify it.

The word lists live in `data/toxicity_lexicon.toml`, where an operator can read
and change them; this module holds the grammar that combines them.
"""

from __future__ import annotations

import re
import threading
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from text2image.config import TOXICITY_LABELS

LEXICON_FILE = Path(__file__).with_name("data") / "toxicity_lexicon.toml"


def load_lexicon(path: Path = LEXICON_FILE) -> dict[str, Any]:
    """The word lists, with "@slurs" in a list expanded to the slurs."""
    lexicon = tomllib.loads(path.read_text(encoding="utf-8"))
    slurs = lexicon["slurs"]

    def expand(words: Iterable[str]) -> list[str]:
        return [word for entry in words for word in (slurs if entry == "@slurs" else [entry])]

    lexicon["cues"] = {label: expand(words) for label, words in lexicon["cues"].items()}
    for rule in lexicon["word_rules"]:
        rule["words"] = expand(rule["words"])
    return lexicon


def _words(*words: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(words) + r")\b", re.IGNORECASE)


def _alternatives(words: Iterable[str]) -> str:
    return "(?:" + "|".join(words) + ")"


_LEXICON = load_lexicon()
_PHRASES: Mapping[str, list[str]] = _LEXICON["phrases"]

CUES: Mapping[str, re.Pattern[str]] = {label: _words(*words) for label, words in _LEXICON["cues"].items()}


@dataclass(frozen=True)
class Rule:
    """A pattern the model misses, and the fixed score it gives its label."""

    label: str
    matches: Callable[[str], bool]
    score: float
    why: str


def _pattern(regex: str) -> Callable[[str], bool]:
    compiled = re.compile(regex, re.IGNORECASE)
    return lambda text: compiled.search(text) is not None


# People as the target of an act; groups that hate speech targets; what dehumanising speech calls them.
_PERSON = _alternatives(_PHRASES["person"])
_GROUP = _alternatives(_PHRASES["group"])
_VERMIN = _alternatives(_PHRASES["vermin"])

# Phrases: a word list inside a grammar of its own.
RULES: tuple[Rule, ...] = (
    Rule(
        "HATE_SPEECH",
        _pattern(rf"\b{_GROUP}\s+(?:are|is|were)\s+(?:all\s+|just\s+|nothing but\s+)?(?:\w+\s+)?{_VERMIN}\b"),
        0.9,
        "A group of people called vermin or animals: dehumanisation, which the model scores low.",
    ),
    Rule(
        "HATE_SPEECH",
        _pattern(
            rf"\b(?:kill|exterminate|gas|deport|eradicate|wipe out|get rid of|ban|lock up|shoot|hang)\s+"
            rf"(?:all\s+)?(?:the\s+|these\s+|those\s+)?{_GROUP}|"
            rf"\b(?:extermination|eradication|genocide|deportation|expulsion)\s+of\s+(?:all\s+)?(?:the\s+)?{_GROUP}"
        ),
        0.95,
        "A call to harm, expel or ban a group of people.",
    ),
    Rule(
        "HATE_SPEECH",
        _pattern(
            rf"\b(?:{_GROUP}|them)\s+(?:should not|shouldn't|should never)\s+be allowed\b|"
            rf"\b{_GROUP}\s+(?:are|is)\s+(?:not|n't)\s+(?:really\s+)?(?:people|human)|"
            r"\b(?:needs?|ought) to be "
            r"(?:eliminated|eradicated|removed|exterminated|wiped out|sterili[sz]ed)\b|"
            r"\bkeep them out\b|"
            r"\b(?:reproduce|breed|multiply|live|smell)\s+like\s+"
            r"(?:rats|dogs|animals|pigs|rabbits|cockroaches|vermin)\b|"
            rf"\b(?:filthy|dirty|greedy|evil|lazy|disgusting|primitive|savage|stupid|subhuman)\s+{_GROUP}"
        ),
        0.85,
        "Exclusion and dehumanisation without a slur: 'should not be allowed', 'reproduce like rats', "
        "'filthy foreigners' (ToxiGen).",
    ),
    Rule(
        "VIOLENCE_OR_THREAT",
        _pattern(
            r"\b(?:i(?:'ll| will| am going to|'m going to| gonna| want to| wanna)|we(?:'ll| will| should)|"
            r"someone should)\s+(?:\w+\s+)?"
            r"(?:kill|hurt|murder|stab|shoot|beat|attack|rape|hang|lynch|burn|gas|find|get|destroy)\s+(?:you|u|ya|him|her|them|your|his|their|all|every|people)\b|"
            r"\b(?:should be|deserve[sd]? to be|needs? to be|ought to be)\s+(?:\w+\s+)?"
            r"(?:killed|hurt|murdered|stabbed|shot|beaten|raped|hanged|lynched|burned|gassed|executed|"
            r"exterminated|deported)\b"
        ),
        0.9,
        "A threat, or a wish that someone be harmed.",
    ),
    Rule(
        "VIOLENCE_OR_THREAT",
        _pattern(
            r"\b(?:shoot(?:s|ing)?|stab(?:s|bing)?|kill(?:s|ing)?|murder(?:s|ing)?|beat(?:s|ing)?|strangl\w*|"
            r"execut(?:e|es|ing)|behead\w*|tortur(?:e|es|ing)|lynch\w*|punch(?:es|ing)?|kick(?:s|ing)?|"
            r"attack(?:s|ing)?|rap(?:e|es|ed|ing)|burn\w* alive|run\w* over|drown(?:s|ing)?|massacr\w*|"
            rf"chok(?:e|es|ing)|slaughter\w*|abus(?:e|es|ing)|bomb(?:s|ing)?)\s+(?:\w+\s+){{0,2}}?{_PERSON}\b"
        ),
        0.8,
        "Harm done to people, the violence category of unsafe-image benchmarks.",
    ),
    Rule(
        "VIOLENCE_OR_THREAT",
        _pattern(
            r"\bbeing\s+(?:\w+\s+(?:and|or)\s+)?(?:beaten|kicked|shot|stabbed|burn(?:ed|t) alive|tortured|"
            r"strangled|killed|murdered|raped|hanged|lynched|executed|run over|drowned|whipped|abused)\b"
        ),
        0.8,
        "Harm done to someone, in the passive ('a dog being kicked and beaten').",
    ),
)
# Words named outright, each list with its label, score and reason.
RULES += tuple(
    Rule(rule["label"], _words(*rule["words"]).search, rule["score"], rule["why"])
    for rule in _LEXICON["word_rules"]
)


class NegativeWords:
    """Words with a strongly negative valence in VADER's lexicon (vaderSentiment,
    MIT; 7,500 words rated by ten people each), loaded once."""

    THRESHOLD = -1.5

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._words: frozenset[str] | None = None

    def words(self) -> frozenset[str]:
        with self._lock:
            if self._words is None:
                import vaderSentiment

                lexicon = Path(vaderSentiment.__file__).with_name("vader_lexicon.txt")
                words = set()
                for line in lexicon.read_text(encoding="utf-8").splitlines():
                    token, valence, *_ = line.split("\t")
                    if token.isalpha() and float(valence) <= self.THRESHOLD:
                        words.add(token.lower())
                self._words = frozenset(words)
            return self._words


NEGATIVE_WORDS = NegativeWords()
_GROUP_MENTION = re.compile(rf"\b{_GROUP}\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?;]+")
# Words of counter-speech: a sentence about prejudice is not itself prejudice.
_ABOUT_PREJUDICE = _words(*_PHRASES["about_prejudice"])


def speaks_about_prejudice(text: str) -> bool:
    """Counter-speech words: the text discusses prejudice rather than (only) expressing it."""
    return _ABOUT_PREJUDICE.search(text) is not None


def disparages_a_group(text: str) -> bool:
    """A sentence about a group of people with a strongly negative word in it:
    implicit hate (ToxiGen) that has no slur and that the model scores low."""
    negative = NEGATIVE_WORDS.words()
    for sentence in _SENTENCE_END.split(text):
        if (
            _GROUP_MENTION.search(sentence)
            and not _ABOUT_PREJUDICE.search(sentence)
            and any(word in negative for word in re.findall(r"[a-z]+", sentence.lower()))
        ):
            return True
    return False


# Tropes of xenophobia and ableism that carry no negative word of their own.
_TROPES = _words(*_PHRASES["tropes"])


def repeats_a_trope_about_a_group(text: str) -> bool:
    for sentence in _SENTENCE_END.split(text):
        if _TROPES.search(sentence) and (
            _GROUP_MENTION.search(sentence) or re.search(r"\bthey\b|\bthem\b", sentence, re.I)
        ):
            return not _ABOUT_PREJUDICE.search(sentence)
    return False


RULES += (
    Rule(
        "HATE_SPEECH",
        disparages_a_group,
        0.8,
        "A generalisation about a group of people with a strongly negative word (VADER valence <= -1.5).",
    ),
    Rule(
        "HATE_SPEECH",
        repeats_a_trope_about_a_group,
        0.8,
        "A xenophobic or ableist trope ('a drain on society', 'go back to their own country') about a group.",
    ),
)

if set(CUES) != set(TOXICITY_LABELS):
    raise RuntimeError("CUES must name each of Comprehend's toxicity labels once")
