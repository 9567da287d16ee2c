"""How the sampled prompt sets in this folder were made (run once, by hand).

Each source is a public Git repository, read from a local clone at the commit
named below; sampling uses a fixed seed, so re-running this with the same
clones writes the same files. The hand-written sets (short_everyday.txt,
unsafe_image_requests.txt) are not generated: see NOTICE.md.

    python tests/data/prompts/build_sets.py --clones DIR

where DIR holds the clones as DIR/<owner>+<name> (bare or not).
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import subprocess
from pathlib import Path

HERE = Path(__file__).parent
SEED = 11
MAX_CHARS = 1000  # the API's prompt limit

SOURCES = {
    "drawbench": ("mwomick/VaReSynth", "f90470975e07e8477a7fcb99e949051859466880"),
    "geneval": ("djghosh13/geneval", "af4902f24d3ca90ebbb446dd9891a59e0f82725f"),
    "t2i_compbench": ("Karine-Huang/T2I-CompBench", "1b7094991a57f3c22abdd4f6e8ba6c1a15517073"),
    "toxigen": ("microsoft/TOXIGEN", "01517e814639e0334c920a3c502036c8158aac87"),
    "ethos": (
        "intelligence-csd-auth-gr/Ethos-Hate-Speech-Dataset",
        "705258e118ce9611ebbd5ab2a4841b0066547293",
    ),
}

COMPBENCH_CATEGORIES = (
    "color",
    "shape",
    "texture",
    "spatial",
    "3d_spatial",
    "non_spatial",
    "numeracy",
    "complex",
)
TOXIGEN_GROUPS = (
    "asian",
    "bisexual",
    "black",
    "chinese",
    "immigrant",
    "jewish",
    "latino",
    "lgbtq",
    "mental_disability",
    "mexican",
    "middle_east",
    "muslim",
    "native_american",
    "physical_disability",
    "women",
)


def show(clones: Path, source: str, path: str) -> str:
    repo, commit = SOURCES[source]
    folder = clones / repo.replace("/", "+")
    git_dir = folder / "repo" if (folder / "repo").exists() else folder
    return subprocess.run(
        ["git", "-C", str(git_dir), "show", f"{commit}:{path}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def write(name: str, rows: list[str]) -> None:
    clean = [" ".join(row.split()) for row in rows]
    clean = [row for row in dict.fromkeys(clean) if row and len(row) <= MAX_CHARS]
    (HERE / name).write_text("\n".join(clean) + "\n", encoding="utf-8")
    print(f"{name}: {len(clean)}")


def toxigen_sentences(clones: Path, kind: str, group: str) -> list[str]:
    text = show(clones, "toxigen", f"prompts/{kind}_{group}_1k.txt")
    sentences = []
    for line in text.splitlines():
        for piece in line.split("\\n"):
            piece = piece.strip().removeprefix("-").strip()
            if piece:
                sentences.append(piece)
    return sorted(set(sentences))


def sample(rng: random.Random, items: list[str], at_most: int) -> list[str]:
    return rng.sample(items, min(at_most, len(items)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clones", type=Path, required=True)
    clones = parser.parse_args().clones
    rng = random.Random(SEED)

    drawbench = csv.DictReader(io.StringIO(show(clones, "drawbench", "data/DrawBench.csv")))
    write("drawbench.txt", [row["Prompts"] for row in drawbench])

    write("geneval.txt", show(clones, "geneval", "prompts/generation_prompts.txt").splitlines())

    compbench: list[str] = []
    for category in COMPBENCH_CATEGORIES:
        lines = show(clones, "t2i_compbench", f"examples/dataset/{category}_val.txt").splitlines()
        compbench += rng.sample([line for line in lines if line.strip()], 40)
    write("t2i_compbench_val.txt", compbench)

    hate: list[str] = []
    neutral: list[str] = []
    for group in TOXIGEN_GROUPS:
        hate += sample(rng, toxigen_sentences(clones, "hate", group), 25)
        neutral += sample(rng, toxigen_sentences(clones, "neutral", group), 12)
    write("toxigen_hate.txt", hate)
    write("toxigen_neutral.txt", neutral)

    ethos = csv.DictReader(
        io.StringIO(show(clones, "ethos", "ethos/ethos_data/Ethos_Dataset_Binary.csv")), delimiter=";"
    )
    hateful = [row["comment"] for row in ethos if float(row["isHate"]) >= 0.5]
    write("ethos_hate.txt", sample(rng, hateful, 250))


if __name__ == "__main__":
    main()
