"""The diagram and the table of states: generated from today's ASL, every state in its role,
the design card first and bold, and the checked-in docs/ current (no Graphviz needed)."""

from __future__ import annotations

import copy
import itertools
import re
import xml.etree.ElementTree as ElementTree

import pytest

from workflow.ops.diagram import (
    BEGIN_MARKER,
    DOT_FILE,
    END_MARKER,
    PAGE_FILE,
    REGENERATE,
    ROLE_OF,
    SVG_FILE,
    DiagramError,
    Role,
    all_states,
    build_dot,
    dot_digest,
    load_definition,
    render_svg,
    stamp_svg,
    states_table,
    svg_drawn_from,
    with_table,
)

DEFINITION = load_definition()
# The design card's path as a reader of the card expects it, in order.
CORE_PATH = [
    "ReceiveRequest",
    "CheckPromptToxicity",
    "IsPromptSafe",
    "GenerateImage",
    "ModerateImage",
    "IsImageSafe",
    "RecognizeCelebrities",
    "IsNoRealPersonRefused",
    "MarkProvenance",
    "StoreImage",
    "ImageApproved",
]
REJECTIONS = ["PromptRejected", "DiscardRejectedImage", "ImageRejected"]
NODE = re.compile(r'^    "(\w+)" \[', re.MULTILINE)


def edges(dot: str) -> dict[tuple[str, str], list[str]]:
    """Each edge's attribute lists, by (source, target)."""
    found: dict[tuple[str, str], list[str]] = {}
    for source, target, attrs in re.findall(r'^  "(\w+)" -> "(\w+)" \[(.*)\];$', dot, re.MULTILINE):
        found.setdefault((source, target), []).append(attrs)
    return found


def with_state(name: str, state: dict, after: str) -> dict:
    """The definition with a new state between `after` and its Next."""
    changed = copy.deepcopy(DEFINITION)
    states = changed["States"]
    states[name] = state | {"Next": states[after]["Next"]}
    states[after]["Next"] = name
    return changed


def test_every_asl_state_has_a_role_and_no_role_names_a_state_the_asl_lacks():
    assert set(ROLE_OF) == set(all_states(DEFINITION["States"]))


def test_a_new_state_without_a_role_stops_the_generator_naming_it():
    changed = with_state("CountTheImage", {"Type": "Pass", "Comment": "Counts."}, after="StoreImage")
    with pytest.raises(DiagramError, match=r"CountTheImage.*ROLE_OF"):
        build_dot(changed)
    with pytest.raises(DiagramError, match="CountTheImage"):
        states_table(changed)


def test_the_checked_in_dot_is_what_todays_asl_gives():
    assert DOT_FILE.read_text() == build_dot(DEFINITION), f"docs/workflow.dot is stale: {REGENERATE}"


def test_a_changed_asl_gives_another_dot():
    changed = copy.deepcopy(DEFINITION)
    changed["States"]["StoreImage"]["Comment"] = "Publishes."
    assert build_dot(changed) != build_dot(DEFINITION)


def test_the_svg_was_drawn_from_the_checked_in_dot():
    dot = DOT_FILE.read_text()
    assert svg_drawn_from(SVG_FILE.read_text()) == dot_digest(dot), (
        f"docs/workflow.svg is stale: {REGENERATE}"
    )


def test_the_svg_stamp_tells_one_dot_from_another():
    svg = '<?xml version="1.0"?>\n<svg></svg>\n'
    stamped = stamp_svg(svg, "digraph a {}")
    assert stamped.startswith('<?xml version="1.0"?>\n<!-- drawn from')
    assert svg_drawn_from(stamped) == dot_digest("digraph a {}") != dot_digest("digraph b {}")
    assert svg_drawn_from(svg) is None


def test_every_state_is_a_node_of_the_diagram_exactly_once():
    nodes = NODE.findall(build_dot(DEFINITION))
    assert sorted(nodes) == sorted(all_states(DEFINITION["States"]))


def test_the_design_card_comes_first_in_its_own_bold_cluster_and_the_rest_is_grey():
    dot = build_dot(DEFINITION)
    clusters = re.findall(
        r"subgraph (cluster_\w+) \{\n    label=\"([^\"]+)\"; ([^\n]*)\n(.*?)\n  \}", dot, re.S
    )
    first_name, _, first_look, first_body = clusters[0]
    assert first_name.endswith("design_card")
    assert NODE.findall(first_body + "\n") == CORE_PATH
    assert "Helvetica-Bold" in first_look
    nodes = NODE.findall(dot)
    assert nodes[: len(CORE_PATH) + len(REJECTIONS)] == CORE_PATH + REJECTIONS
    labels = {label for _, label, _, _ in clusters}
    assert {"admission to the GPU", "idempotency", "answer and clean-up"} <= labels
    for name, _, look, body in clusters[2:]:
        assert "Helvetica-Bold" not in look + body, name
        assert "fontsize=9" in body, name


def test_the_design_cards_path_is_joined_by_thick_edges_even_through_grey_states():
    dot_edges = edges(build_dot(DEFINITION))
    for source, target in itertools.pairwise(CORE_PATH):
        assert any(
            "penwidth=3" in attrs or "penwidth=2.5" in attrs for attrs in dot_edges[(source, target)]
        ), (
            source,
            target,
        )
    # The ASL itself goes through admission between GenerateImage and ModerateImage: both drawn.
    (through,) = dot_edges[("GenerateImage", "ModerateImage")]
    assert 'label="through admission to the GPU"' in through
    assert ("GenerateImage", "ReleaseGenerationSlot") in dot_edges
    assert ("ReleaseGenerationSlot", "ModerateImage") in dot_edges


def test_a_grey_state_added_inside_the_path_keeps_the_path_joined():
    changed = with_state("RecordLatency", {"Type": "Pass", "Comment": "Notes it."}, after="StoreImage")
    ROLE_OF["RecordLatency"] = Role.ANSWER
    try:
        dot_edges = edges(build_dot(changed))
    finally:
        del ROLE_OF["RecordLatency"]
    (joined,) = dot_edges[("StoreImage", "ImageApproved")]
    assert "penwidth=3" in joined and "answer and clean-up" in joined


def test_catch_edges_are_dashed_and_the_others_are_not():
    dot_edges = edges(build_dot(DEFINITION))
    (caught,) = dot_edges[("GenerateImage", "ReleaseGenerationSlotAfterGenerationError")]
    assert "style=dashed" in caught
    (invalid,) = dot_edges[("CheckPromptToxicity", "LeaveGenerationQueueAfterInvalidRequest")]
    assert "style=dashed" in invalid and 'label="InvalidRequest"' in invalid
    (chosen,) = dot_edges[("IsImageSafe", "DiscardRejectedImage")]
    assert "dashed" not in chosen and 'label="otherwise"' in chosen
    assert 'label="decision = busy"' in dot_edges[("IsThereRoomForThisRun", "GenerationBusy")][0]


def test_the_table_in_docs_workflow_md_is_current():
    page = PAGE_FILE.read_text()
    assert BEGIN_MARKER in page and END_MARKER in page
    assert with_table(page, states_table(DEFINITION)) == page, f"docs/workflow.md is stale: {REGENERATE}"


def test_the_table_lists_the_design_card_first_each_state_once_with_its_comment():
    table = states_table(DEFINITION)
    rows = re.findall(r"^\| `(\w+)` \| (\w+) \| (.*) \|$", table, re.MULTILINE)
    assert [name for name, _, _ in rows[: len(CORE_PATH)]] == CORE_PATH
    assert sorted(name for name, _, _ in rows) == sorted(all_states(DEFINITION["States"]))
    states = DEFINITION["States"]
    for name, kind, comment in rows:
        assert (kind, comment) == (states[name]["Type"], states[name]["Comment"].replace("|", "\\|"))
    assert table.index("### Admission to the GPU") > table.index("### The design card")


def test_the_table_replaces_only_what_is_between_the_markers():
    page = f"# Title\n\nintro\n\n{BEGIN_MARKER}\nold table\n{END_MARKER}\n\nmore prose\n"
    written = with_table(page, "| new |\n")
    assert written == f"# Title\n\nintro\n\n{BEGIN_MARKER}\n\n| new |\n\n{END_MARKER}\n\nmore prose\n"
    assert with_table(written, "| new |\n") == written
    with pytest.raises(DiagramError, match="BEGIN generated"):
        with_table("# A page without markers\n", "| new |\n")


def test_graphviz_draws_every_state_and_the_svg_is_stamped():
    dot = build_dot(DEFINITION)
    svg = render_svg(dot)
    assert svg_drawn_from(svg) == dot_digest(dot)
    for name in all_states(DEFINITION["States"]):
        assert f">{name}</text>" in svg, name


def test_the_svg_names_each_state_and_spine_edge_as_the_executions_page_reads_them():
    # The page finds a state's node by its <title> and tells the card's states by a class.
    svg = "{http://www.w3.org/2000/svg}"
    groups = ElementTree.fromstring(SVG_FILE.read_text()).iter(f"{svg}g")
    classes = {group.findtext(f"{svg}title"): set(group.get("class", "").split()) for group in groups}
    for name, role in ROLE_OF.items():
        assert "node" in classes[name], name
        assert ("emphasised" in classes[name]) is role.emphasised, name
    assert "spine" in classes["ReceiveRequest->CheckPromptToxicity"]
    assert "next" in classes["CheckPromptToxicity->IsPromptSafe"]
