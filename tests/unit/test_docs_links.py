"""The README and docs/ hold together: every relative link and anchor resolves,
and the README stays a short front page that starts with the two commands."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from repo_paths import REPO_ROOT

README = REPO_ROOT / "README.md"
DOCS = REPO_ROOT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
README_MAX_LINES = 200

# Targets this test resolves. Paths to code are left alone: modules move, and a
# link to a .py file is not documentation.
CHECKED_SUFFIXES = {".md", ".png", ".svg", ".jpg", ".jpeg", ".gif", ".json"}

FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
INLINE_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")


def prose(markdown: str) -> str:
    """The text outside fenced blocks and code spans, where links live."""
    return CODE_SPAN.sub("", FENCE.sub("", markdown))


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: markup dropped, lowercased, punctuation
    removed (letters, digits, `_`, `-` and spaces stay), spaces become hyphens."""
    text = INLINE_LINK.sub(r"\1", heading).lower()
    kept = "".join(
        ch
        for ch in text
        if ch in " -" or unicodedata.category(ch)[0] in "LMN" or unicodedata.category(ch) == "Pc"
    )
    return kept.replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """Every heading's anchor, with GitHub's -1, -2 ... for repeated headings."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for heading in HEADING.findall(FENCE.sub("", markdown)):
        slug = github_slug(heading)
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def broken_links(page: Path, markdown: str | None = None) -> list[str]:
    """Each relative link of `page` that names a missing file or heading."""
    markdown = page.read_text() if markdown is None else markdown
    problems = []
    for target in LINK.findall(prose(markdown)):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...
            continue
        path_part, _, fragment = target.partition("#")
        if path_part and Path(path_part).suffix.lower() not in CHECKED_SUFFIXES:
            continue
        linked = (page.parent / path_part).resolve() if path_part else page
        if not linked.is_file():
            problems.append(f"{target}: no file {linked.relative_to(REPO_ROOT)}")
            continue
        if fragment and linked.suffix == ".md":
            text = markdown if linked == page else linked.read_text()
            if fragment not in anchors(text):
                problems.append(f"{target}: no heading with anchor #{fragment} in {linked.name}")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_link_and_anchor_resolves(page: Path) -> None:
    assert broken_links(page) == []


def test_a_link_to_a_renamed_heading_is_reported() -> None:
    # The README once linked to the stand-ins' heading as it read before Translate joined it.
    heading = (
        "Local stand-ins for Comprehend, Rekognition, Translate and the SDXL endpoint (`workflow/standins/`)"
    )
    stale = "local-stand-ins-for-comprehend-rekognition-and-the-sdxl-endpoint-workflowstandins"
    right = "local-stand-ins-for-comprehend-rekognition-translate-and-the-sdxl-endpoint-workflowstandins"
    markdown = f"## {heading}\n\nSee [the stand-ins](#{stale}) and [the same, spelt right](#{right}).\n"
    assert broken_links(README, markdown) == [f"#{stale}: no heading with anchor #{stale} in README.md"]


def test_a_link_to_a_missing_page_is_reported_but_code_paths_are_not_checked() -> None:
    markdown = "[gone](docs/gone.md), [code](workflow/nowhere.py), [site](https://example.com/x.md)\n"
    assert broken_links(README, markdown) == ["docs/gone.md: no file docs/gone.md"]


def test_headings_get_githubs_anchors() -> None:
    assert github_slug("Scale to zero (`minInstances=0`)") == "scale-to-zero-mininstances0"
    assert (
        github_slug("Prompt check quality (`make eval-prompts`)") == "prompt-check-quality-make-eval-prompts"
    )
    assert anchors("# Limits\n## Limits\n```\n# not a heading\n```\n") == {"limits", "limits-1"}


def test_the_readme_is_a_short_front_page() -> None:
    lines = README.read_text().splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; move detail into docs/"


def test_the_readme_starts_with_the_two_commands() -> None:
    top = README.read_text().splitlines()[:8]
    commands = [line.split("#")[0].strip() for line in top if line.startswith("make ")]
    assert commands == ['make run PROMPT="a jaguar in the Amazon rainforest"', "make test"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_no_page_repeats_a_heading_so_every_anchor_names_one_place(page: Path) -> None:
    slugs = [github_slug(heading) for heading in HEADING.findall(FENCE.sub("", page.read_text()))]
    repeated = sorted({slug for slug in slugs if slugs.count(slug) > 1})
    assert not repeated, f"{page.name} repeats headings {repeated}: a link to one reaches the first only"
