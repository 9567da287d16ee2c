"""Known English words: the word list the language rule reads short prompts with.

`data/english_words.txt.gz` is SCOWL's American English list as Debian ships it
(package wamerican 2020.12.07, SCOWL size 50), lowercased, without possessives
words with non-letters and `FOREIGN_FUNCTION_WORDS`; SCOWL's permission notice is in
`data/english_words.NOTICE`. Regenerate with `python -m text2image.domain.english_words
/usr/share/dict/american-english`.
"""

from __future__ import annotations

import gzip
import re
import sys
from functools import cache
from pathlib import Path

# Gzipped: a third of the size in the Lambda asset; read once, only for a short prompt.
WORDS_FILE = Path(__file__).parent / "data" / "english_words.txt.gz"
# Left out of the list: SCOWL keeps them as abbreviations or names ("un", "mit", "los"),
# but they are the articles and prepositions of short Spanish, French, Italian and
# German phrases, which must be translated, not read as English.
FOREIGN_FUNCTION_WORDS = frozenset(
    ("un", "la", "le", "les", "de", "il", "lo", "con", "per", "mit", "et", "y", "los", "las", "del", "au")
)
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


@cache
def english_words() -> frozenset[str]:
    return frozenset(gzip.decompress(WORDS_FILE.read_bytes()).decode("utf-8").split())


def words_of(text: str) -> list[str]:
    """The words of a prompt, lowercased, without punctuation or digits."""
    return [word.lower() for word in _WORD.findall(text)]


def _build(source: Path) -> None:
    words = {
        line.strip().lower()
        for line in source.read_text(encoding="utf-8").splitlines()
        if line.strip().isascii() and line.strip().isalpha()
    } - FOREIGN_FUNCTION_WORDS
    text = "\n".join(sorted(words)) + "\n"
    WORDS_FILE.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))


if __name__ == "__main__":
    _build(Path(sys.argv[1]))
