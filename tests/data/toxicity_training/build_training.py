"""How the training texts of the stand-in's hate-speech classifier were sampled (run once, by hand).

Each source is a public Git repository, read from a local clone at the commit named
below; sampling uses a fixed seed, so re-running this with the same clones writes the
same files. Every text that also appears in the evaluation sets of `tests/data/prompts/`
is left out, so the classifier is never trained on what `make eval-prompts` measures.

    python tests/data/toxicity_training/build_training.py --clones DIR

where DIR holds the clones as DIR/<owner>+<name> (bare or not).
"""

from __future__ import annotations

import argparse
import csv
import html
import io
import json
import random
import re
import subprocess
from pathlib import Path

HERE = Path(__file__).parent
PROMPTS = HERE.parent / "prompts"
SEED = 11

SOURCES = {
    "davidson": ("t-davidson/hate-speech-and-offensive-language", "cb50f7e9eb855a99abc51423bf40df0e26d6fe30"),
    "toxigen": ("microsoft/TOXIGEN", "01517e814639e0334c920a3c502036c8158aac87"),
    "coco": ("ruizewang/evaluate", "1152656d3b8c66c48fc6a4357e159f5e21bd2d2d"),
}
DAVIDSON_OFFENSIVE = 2500
DAVIDSON_NEITHER = 4163
COCO_CAPTIONS = 20000


def show(clones: Path, source: str, path: str) -> str:
    repo, commit = SOURCES[source]
    folder = clones / repo.replace("/", "+")
    git_dir = folder / "repo" if (folder / "repo").exists() else folder
    return subprocess.run(
        ["git", "-C", str(git_dir), "show", f"{commit}:{path}"], check=True, capture_output=True, text=True
    ).stdout


def normal(text: str) -> str:
    return " ".join(text.split()).lower()


def tweet(text: str) -> str:
    """A tweet without its retweet marks, handles and links (they say nothing about hate)."""
    text = html.unescape(text)
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"\bRT\b|@\w+:?", " ", text)
    return " ".join(text.split()).strip(' :!"')


def toxigen_sentences(clones: Path, kind: str) -> list[str]:
    listing = subprocess.run(
        [
            "git",
            "-C",
            str(clones / "microsoft+TOXIGEN" / "repo"),
            "ls-tree",
            "--name-only",
            "-r",
            SOURCES["toxigen"][1],
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    sentences: set[str] = set()
    for path in listing:
        if path.startswith(f"prompts/{kind}_") or (
            path.startswith("demonstrations/") and f"/{kind}_" in path
        ):
            for line in show(clones, "toxigen", path).splitlines():
                for piece in line.split("\\n"):
                    piece = " ".join(piece.strip().removeprefix("-").split())
                    if piece:
                        sentences.add(piece)
    return sorted(sentences)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clones", type=Path, required=True)
    clones = parser.parse_args().clones
    rng = random.Random(SEED)
    evaluated = {
        normal(line.rpartition("\t")[2])
        for path in PROMPTS.glob("*.txt")
        for line in path.read_text(encoding="utf-8").splitlines()
    }

    rows: list[tuple[str, str, str]] = []  # (label, source, text)
    davidson = list(csv.DictReader(io.StringIO(show(clones, "davidson", "data/labeled_data.csv"))))
    by_class: dict[str, list[str]] = {}
    for row in davidson:
        text = tweet(row["tweet"])
        if len(text.split()) >= 3:
            by_class.setdefault(row["class"], []).append(text)
    rows += [("harmful", "davidson-hate", text) for text in by_class["0"]]
    rows += [
        ("harmful", "davidson-offensive", text) for text in rng.sample(by_class["1"], DAVIDSON_OFFENSIVE)
    ]
    rows += [("benign", "davidson-neither", text) for text in by_class["2"][:DAVIDSON_NEITHER]]
    rows += [("harmful", "toxigen-hate", text) for text in toxigen_sentences(clones, "hate")]
    rows += [("benign", "toxigen-neutral", text) for text in toxigen_sentences(clones, "neutral")]
    captions = json.loads(show(clones, "coco", "annotations/captions_val2017.json"))["annotations"]
    captions = sorted({" ".join(item["caption"].split()) for item in captions})
    rows += [("benign", "coco-captions", text) for text in rng.sample(captions, COCO_CAPTIONS)]

    seen: set[str] = set()
    kept = []
    for label, source, text in rows:
        key = normal(text)
        if key in evaluated or key in seen or "\t" in text:
            continue
        seen.add(key)
        kept.append((label, source, text))
    for label in ("harmful", "benign"):
        lines = [f"{source}\t{text}" for row_label, source, text in kept if row_label == label]
        (HERE / f"{label}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{label}.tsv: {len(lines)}")


if __name__ == "__main__":
    main()
