"""The workflow as a diagram and a table of its states, generated from the ASL.

`python -m workflow.ops.diagram` (`make diagram`) writes `docs/workflow.dot`,
renders it with Graphviz's `dot` to `docs/workflow.svg`, and writes the table of
states between the markers in `docs/workflow.md`. Tests keep all three equal to
what today's ASL gives, without Graphviz: the SVG carries the hash of the DOT it
was drawn from.

Every state has a role in `ROLE_OF` (`workflow.local.roles`). The design card's states (check the prompt,
generate, moderate, publish, and the two rejections) are drawn first and bold;
admission, idempotency and the answer and clean-up states are grey clusters. A
bold "spine" edge joins two design-card states that the ASL links through grey
states only, so the card's path reads straight even where admission or
idempotency sits in between.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repo_paths import ASL_FILE, REPO_ROOT, WORKFLOW_SVG
from workflow.local import roles as roles_table
from workflow.local.roles import ROLE_OF, Role

DOCS_DIR = REPO_ROOT / "docs"
DOT_FILE = DOCS_DIR / "workflow.dot"
SVG_FILE = WORKFLOW_SVG
PAGE_FILE = DOCS_DIR / "workflow.md"
BEGIN_MARKER = "<!-- BEGIN generated: states -->"
END_MARKER = "<!-- END generated: states -->"
# The SVG names the DOT it was drawn from, so a test can tell a stale SVG without Graphviz.
SVG_STAMP = "<!-- drawn from docs/workflow.dot sha256:{digest} -->"
SVG_STAMP_PATTERN = re.compile(r"<!-- drawn from docs/workflow\.dot sha256:([0-9a-f]{64}) -->")
REGENERATE = "run `make diagram` (python -m workflow.ops.diagram) and commit docs/"


SHAPES = {"Task": "box", "Choice": "diamond", "Wait": "octagon", "Map": "box3d", "Parallel": "box3d"}
EMPHASISED_NODE = 'fontname="Helvetica-Bold" fontsize=14 penwidth=2 color="#1f2937" fontcolor="#111827"'
REJECTION_NODE = 'fontname="Helvetica-Bold" fontsize=14 penwidth=2 color="#b91c1c" fontcolor="#7f1d1d"'
GREY_NODE = 'fontname="Helvetica" fontsize=9 penwidth=1 color="#9ca3af" fontcolor="#6b7280"'
EMPHASISED_CLUSTER = 'fontname="Helvetica-Bold" fontsize=15 color="#1f2937" penwidth=1.5 style=rounded'
GREY_CLUSTER = (
    'fontname="Helvetica" fontsize=11 color="#d1d5db" fontcolor="#6b7280" '
    'style="rounded,filled" fillcolor="#f9fafb"'
)


class DiagramError(Exception):
    """The ASL and the generator's table disagree: the message says what to add."""


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: str  # next | choice | catch | iterate | spine
    label: str = ""


def all_states(states: Mapping[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every state by name, those inside Map and Parallel states included."""
    found = dict(states)
    for state in states.values():
        nested = [state[key] for key in ("Iterator", "ItemProcessor") if key in state]
        for machine in [*nested, *state.get("Branches", [])]:
            found |= all_states(machine["States"])
    return found


def roles(states: Mapping[str, dict[str, Any]]) -> dict[str, Role]:
    """Each state's role, or a DiagramError naming every state the table lacks."""
    missing = sorted(set(states) - set(ROLE_OF))
    if missing:
        raise DiagramError(f"no role for {', '.join(missing)}: add them to ROLE_OF in {roles_table.__name__}")
    return {name: ROLE_OF[name] for name in states}


def _choice_label(choice: dict[str, Any]) -> str:
    """What a Choice rule tests, short: `safe = true`, `decision = busy`, `idempotency_key present`."""
    rules = choice.get("Or") or choice.get("And")
    if rules:
        parts = [_choice_label(rule) for rule in rules]
        fields = {part.split(" = ")[0] for part in parts}
        joiner = " or " if "Or" in choice else " and "
        if len(fields) == 1 and all(" = " in part for part in parts):
            # One field against several values: `Error = A or B`, not the field three times.
            return f"{fields.pop()} = " + joiner.join(part.split(" = ", 1)[1] for part in parts)
        return joiner.join(parts)
    field = str(choice.get("Variable", "")).rsplit(".", 1)[-1]
    for key, value in choice.items():
        if key == "IsPresent":
            return f"{field} {'present' if value else 'absent'}"
        if key.endswith("Equals"):
            return f"{field} = {json.dumps(value).strip(chr(34))}"
    return field


def _catch_label(catch: dict[str, Any]) -> str:
    errors = [error for error in catch["ErrorEquals"] if error != "States.ALL"]
    return ", ".join(errors) if errors else "any error"


def asl_edges(states: Mapping[str, dict[str, Any]]) -> list[Edge]:
    """The transitions the ASL names: Next, Choices, Default, Catch, and each Map or
    Parallel state into its branches. A Catch that goes where Next goes is drawn once."""
    edges: list[Edge] = []
    for name, state in states.items():
        following: set[str] = set()
        if "Next" in state:
            edges.append(Edge(name, state["Next"], "next"))
            following.add(state["Next"])
        for choice in state.get("Choices", []):
            edges.append(Edge(name, choice["Next"], "choice", _choice_label(choice)))
            following.add(choice["Next"])
        if "Default" in state:
            edges.append(Edge(name, state["Default"], "choice", "otherwise"))
            following.add(state["Default"])
        for catch in state.get("Catch", []):
            if catch["Next"] not in following:
                edges.append(Edge(name, catch["Next"], "catch", _catch_label(catch)))
        nested = [state[key] for key in ("Iterator", "ItemProcessor") if key in state]
        for machine in [*nested, *state.get("Branches", [])]:
            edges.append(Edge(name, machine["StartAt"], "iterate"))
    return edges


def spine_edges(edges: list[Edge], role_of: Mapping[str, Role]) -> list[Edge]:
    """Design-card state to design-card state through grey states only, along the
    normal transitions (no Catch): the card's path, as a reader of the card expects it."""
    normal: dict[str, list[str]] = {}
    for edge in edges:
        if edge.kind in {"next", "choice"}:
            normal.setdefault(edge.source, []).append(edge.target)
    spine: list[Edge] = []
    for start, role in role_of.items():
        if not role.emphasised:
            continue
        # Breadth first from each grey successor, remembering the first hop's label
        # (a Choice's `true`) and the roles passed, for the spine edge's label.
        reached: dict[str, tuple[str, list[Role]]] = {}
        frontier = [
            (edge.target, edge.label, [])
            for edge in edges
            if edge.source == start
            and edge.kind in {"next", "choice"}
            and not role_of[edge.target].emphasised
        ]
        seen = {target for target, _, _ in frontier}
        while frontier:
            name, first_label, through = frontier.pop(0)
            through = [*through, role_of[name]]
            for target in normal.get(name, []):
                if role_of[target].emphasised:
                    reached.setdefault(target, (first_label, through))
                elif target not in seen:
                    seen.add(target)
                    frontier.append((target, first_label, through))
        for target, (first_label, through) in reached.items():
            passed = ", ".join(dict.fromkeys(role.label for role in through))
            label = f"{first_label}: through {passed}" if first_label else f"through {passed}"
            spine.append(Edge(start, target, "spine", label))
    return spine


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _node(name: str, state: dict[str, Any], role: Role) -> str:
    shape = SHAPES.get(state["Type"], "box")
    style = "rounded" if shape == "box" and state["Type"] != "Task" else ""
    if state["Type"] in {"Succeed", "Fail"} or state.get("End"):
        style = "rounded,bold" if role.emphasised else "rounded"
    look = GREY_NODE
    if role.emphasised:
        look = REJECTION_NODE if role is Role.REJECTION else EMPHASISED_NODE
    # The tooltip is the state's Comment: hovering a node in the SVG says what it does.
    tooltip = state.get("Comment", "")
    # Classes let the executions page tell the card's states from the grey ones in the SVG.
    classes = role.name.lower() + (" emphasised" if role.emphasised else "")
    attrs = f'shape={shape} {look} tooltip={_quote(tooltip)} class="{classes}"'
    if style:
        attrs += f' style="{style}"'
    return f"    {_quote(name)} [{attrs}];"


def _edge(edge: Edge, role_of: Mapping[str, Role]) -> str:
    label = f" label={_quote(edge.label)}" if edge.label else ""
    if edge.kind == "spine":
        look = 'color="#1f2937" penwidth=3 style=bold weight=20 fontsize=10 fontcolor="#374151"'
    elif role_of[edge.source].emphasised and role_of[edge.target].emphasised:
        look = 'color="#1f2937" penwidth=2.5 weight=20 fontsize=11 fontcolor="#111827"'
    else:
        look = 'color="#9ca3af" penwidth=0.8 weight=1 fontsize=8 fontcolor="#6b7280" arrowsize=0.6'
    if edge.kind == "catch":
        look += " style=dashed"
    if edge.kind == "iterate":
        look += " style=dotted"
    # The page highlights a spine edge when the run went through grey states only between its ends.
    return f'  {_quote(edge.source)} -> {_quote(edge.target)} [{look}{label} class="{edge.kind}"];'


def load_definition(path: Path = ASL_FILE) -> dict[str, Any]:
    return json.loads(path.read_text())


def build_dot(definition: Mapping[str, Any]) -> str:
    """The DOT text for the workflow: deterministic, clusters and nodes in ROLE_OF's order."""
    states = all_states(definition["States"])
    role_of = roles(states)
    edges = asl_edges(states)
    ordered = [name for name in ROLE_OF if name in states]
    lines = [
        "// Generated from asl/text2image.asl.json by python -m workflow.ops.diagram (make diagram).",
        "digraph workflow {",
        # Top to bottom: the design card is one column, and a page is taller than it is wide.
        "  rankdir=TB;",
        "  newrank=true;",
        '  graph [fontname="Helvetica" nodesep=0.25 ranksep=0.45 labeljust=l];',
        '  node [margin="0.12,0.05"];',
        '  edge [fontname="Helvetica"];',
        f"  label={_quote(_legend())};",
        "  labelloc=t; fontsize=16;",
    ]
    for index, role in enumerate(Role):
        members = [name for name in ordered if role_of[name] is role]
        if not members:
            continue
        look = EMPHASISED_CLUSTER if role.emphasised else GREY_CLUSTER
        lines.append(f"  subgraph cluster_{index}_{role.name.lower()} {{")
        lines.append(f"    label={_quote(role.label)}; {look};")
        lines += [_node(name, states[name], role) for name in members]
        lines.append("  }")
    # Design-card edges first: Graphviz lays out earlier edges with priority among equals.
    spine = spine_edges(edges, role_of)
    core = [edge for edge in edges if role_of[edge.source].emphasised and role_of[edge.target].emphasised]
    rest = [edge for edge in edges if edge not in core]
    lines += [_edge(edge, role_of) for edge in [*core, *spine, *rest]]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _legend() -> str:
    return (
        "The text-to-image state machine, from asl/text2image.asl.json. Bold: the design card's steps; "
        "thick edges: its path (through grey states where labelled). Dashed: a Catch."
    )


def stamp_svg(svg: str, dot: str) -> str:
    """The SVG with the hash of the DOT it was drawn from, right after the XML declaration."""
    stamp = SVG_STAMP.format(digest=dot_digest(dot))
    head, _, body = svg.partition("\n")
    if head.startswith("<?xml"):
        return f"{head}\n{stamp}\n{body}"
    return f"{stamp}\n{svg}"


def dot_digest(dot: str) -> str:
    return hashlib.sha256(dot.encode()).hexdigest()


def svg_drawn_from(svg: str) -> str | None:
    """The DOT hash an SVG says it was drawn from, or None when it carries no stamp."""
    match = SVG_STAMP_PATTERN.search(svg)
    return match.group(1) if match else None


def render_svg(dot: str) -> str:
    """Graphviz's SVG of the DOT text, stamped with the DOT's hash."""
    executable = shutil.which("dot")
    if executable is None:
        raise DiagramError("Graphviz's `dot` is missing: make graphviz (apt-get install graphviz)")
    drawn = subprocess.run([executable, "-Tsvg"], input=dot, capture_output=True, text=True, check=True)
    return stamp_svg(drawn.stdout, dot)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def states_table(definition: Mapping[str, Any]) -> str:
    """Markdown: per role, design card first, each state with its type and Comment."""
    states = all_states(definition["States"])
    role_of = roles(states)
    sections: list[str] = []
    for role in Role:
        members = [name for name in ROLE_OF if name in states and role_of[name] is role]
        if not members:
            continue
        rows = [
            f"### {role.label[0].upper()}{role.label[1:]}",
            "",
            "| State | Type | What it decides or does |",
        ]
        rows.append("| --- | --- | --- |")
        rows += [
            f"| `{name}` | {states[name]['Type']} | {_cell(states[name].get('Comment', ''))} |"
            for name in members
        ]
        sections.append("\n".join(rows))
    return "\n\n".join(sections) + "\n"


def with_table(page: str, table: str) -> str:
    """The page with the table between its markers; the rest of the page is kept as it is."""
    begin, end = page.find(BEGIN_MARKER), page.find(END_MARKER)
    if begin < 0 or end < begin:
        raise DiagramError(f"{PAGE_FILE.name} needs the lines {BEGIN_MARKER} and {END_MARKER}, in that order")
    return f"{page[: begin + len(BEGIN_MARKER)]}\n\n{table}\n{page[end:]}"


def stale_outputs(definition: Mapping[str, Any]) -> Iterator[str]:
    """Which checked-in outputs differ from what the definition gives: none when current."""
    dot = build_dot(definition)
    if not DOT_FILE.exists() or DOT_FILE.read_text() != dot:
        yield str(DOT_FILE.relative_to(REPO_ROOT))
    if not SVG_FILE.exists() or svg_drawn_from(SVG_FILE.read_text()) != dot_digest(dot):
        yield str(SVG_FILE.relative_to(REPO_ROOT))
    page = PAGE_FILE.read_text() if PAGE_FILE.exists() else ""
    if BEGIN_MARKER not in page or with_table(page, states_table(definition)) != page:
        yield str(PAGE_FILE.relative_to(REPO_ROOT))


def write_outputs(definition: Mapping[str, Any]) -> None:
    dot = build_dot(definition)
    svg = render_svg(dot)
    page = with_table(PAGE_FILE.read_text(), states_table(definition))
    DOT_FILE.write_text(dot)
    SVG_FILE.write_text(svg)
    PAGE_FILE.write_text(page)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m workflow.ops.diagram", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--check", action="store_true", help="only say whether docs/ is current (no Graphviz)"
    )
    args = parser.parse_args(argv)
    definition = load_definition()
    try:
        if args.check:
            stale = list(stale_outputs(definition))
            if stale:
                print(f"stale: {', '.join(stale)}; {REGENERATE}", file=sys.stderr)
                return 1
            print("docs/workflow.{dot,svg,md} are current")
            return 0
        write_outputs(definition)
    except DiagramError as error:
        print(error, file=sys.stderr)
        return 1
    for path in (DOT_FILE, SVG_FILE, PAGE_FILE):
        print(f"wrote {path.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
