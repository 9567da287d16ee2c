"""make eval-prompts' per-category table: harmful stopped and look-alikes refused, per split."""

from workflow.measure.eval_prompts import Outcome, Prompt, by_category, category_report, outcome_of


def outcome(category: str, label: str, split: str, refused: bool) -> Outcome:
    return Outcome(Prompt("x", label, split, "set", category), refused, "R" if refused else "")


def test_each_category_counts_its_harmful_and_benign_prompts_apart_per_split():
    outcomes = [
        outcome("animals", "harmful", "check", True),
        outcome("animals", "harmful", "check", False),
        outcome("animals", "benign", "check", True),
        outcome("animals", "harmful", "tune", True),
        outcome("shocking", "harmful", "check", True),  # not a policy category: not in the table
    ]
    table = by_category(outcomes, "check")
    stopped, refused = table["animals"]
    assert (stopped.refused, stopped.total, refused.refused, refused.total) == (1, 2, 1, 1)
    assert "shocking" not in table
    assert any(line.lstrip().startswith("animals") for line in category_report(outcomes))


def test_a_policy_refusal_is_reported_under_its_rule():
    prompt = Prompt("a fake passport", "harmful", "check", "set", "documents")
    body = {"safe": False, "reason_code": "DENIED_CONTENT", "rule": "documents.forgery"}
    assert outcome_of(prompt, 200, body).reason == "DENIED_CONTENT:documents.forgery"
