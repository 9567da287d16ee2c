"""docs/deploy.md's list of what `make deploy` creates is generated from the synthesized template."""

from __future__ import annotations

from tests.infra.stack_fixtures import CONCRETE, synthesize
from text2image.catalogue import FUNCTIONS
from workflow.ops.inventory import DEPLOY_CONTEXT, DEPLOY_DOC, checked_in_section, render


def test_the_inventory_synthesizes_what_cdk_deploy_synthesizes() -> None:
    # The same context as the other tests' concrete synth, so this test adds no synth of its own.
    assert DEPLOY_CONTEXT == CONCRETE


def test_the_documented_resources_are_what_the_stack_creates() -> None:
    rendered = render(synthesize(CONCRETE).template)
    assert checked_in_section(DEPLOY_DOC.read_text()) == rendered, "run make docs"


def test_every_catalogue_function_is_listed_by_name() -> None:
    rendered = render(synthesize(CONCRETE).template)
    assert f"{len(FUNCTIONS)} from `lambdas/`" in rendered
    for spec in FUNCTIONS:
        assert f"| `{spec.name}` | {spec.description} |" in rendered
