"""Jobs in plain Python: names, keys, digests, the job machine's definition, the view."""

from __future__ import annotations

import json

from repo_paths import ASL_FILE
from text2image.contract import execution_input
from text2image.domain.job_view import job_view
from text2image.domain.jobs import (
    JOB_LOST_AFTER_SECONDS,
    JOB_RUNS,
    JOB_TIMEOUT_SECONDS,
    JobStage,
    execution_name,
    is_visible_to,
    job_definition,
    job_of_execution,
    job_run_of_execution,
    new_job_id,
    reports_stage,
    request_digest,
)


def test_a_key_always_names_the_same_job_and_no_key_a_new_one():
    assert new_job_id("k") == new_job_id("k") != new_job_id("other")
    assert new_job_id(None) != new_job_id(None)
    # The same key on another route is another key.
    assert new_job_id("k", route="generate") != new_job_id("k")


def test_only_a_run_named_by_a_job_is_a_job():
    job_id = new_job_id(None)
    assert job_of_execution(execution_name(job_id)) == job_id
    assert job_of_execution("0b6e8f2a-sync-run") is None
    assert job_of_execution("job-not-a-uuid") is None
    assert job_of_execution(None) is None


def test_each_run_of_a_job_has_its_own_name_and_every_name_parses_back_to_the_job():
    job_id = new_job_id(None)
    names = [execution_name(job_id, run) for run in range(1, 4)]
    assert names == [f"job-{job_id}", f"job-{job_id}-2", f"job-{job_id}-3"]
    assert [job_run_of_execution(name) for name in names] == [(job_id, 1), (job_id, 2), (job_id, 3)]
    assert {job_of_execution(name) for name in names} == {job_id}
    for other in (
        f"job-{job_id}-1",
        f"job-{job_id}-0",
        f"job-{job_id}-",
        f"job-{job_id}-x",
        f"job-{job_id}-2-2",
    ):
        assert job_run_of_execution(other) is None, other
    # Execution names are at most 80 characters.
    assert len(execution_name(job_id, JOB_RUNS)) <= 80


def test_a_later_run_checks_the_prompt_again_without_leaving_queued_for_the_poller():
    assert reports_stage(1, JobStage.CHECKING_PROMPT)
    assert not reports_stage(2, JobStage.CHECKING_PROMPT)
    assert all(reports_stage(2, stage) for stage in JobStage if stage != JobStage.CHECKING_PROMPT)


def test_the_digest_ignores_key_order_but_not_values():
    assert request_digest({"prompt": "a", "seed": 1}) == request_digest({"seed": 1, "prompt": "a"})
    assert request_digest({"prompt": "a", "seed": 1}) != request_digest({"prompt": "a", "seed": 2})


def test_the_job_machine_is_the_same_file_with_only_the_timeout_changed():
    sync = json.loads(ASL_FILE.read_text())
    job = json.loads(job_definition(ASL_FILE.read_text()))
    assert job.pop("TimeoutSeconds") == JOB_TIMEOUT_SECONDS != sync.pop("TimeoutSeconds")
    assert job == sync


def test_a_job_whose_runner_died_is_shown_ended_not_running_for_ever():
    item = {"job_id": new_job_id(None), "status": "RUNNING", "stage": "generating", "claimed_at": 1000.0}
    assert job_view(item, "/jobs/x", now=1000.0 + 10)["status"] == "RUNNING"
    lost = job_view(item, "/jobs/x", now=1000.0 + JOB_LOST_AFTER_SECONDS + 1)
    assert (lost["status"], lost["http_status"], lost["result"]["error"]) == ("DONE", 504, "JobLost")


def test_the_position_is_shown_only_while_queued():
    item = {
        "job_id": new_job_id(None),
        "status": "RUNNING",
        "stage": "queued",
        "position": 3,
        "claimed_at": 0.0,
    }
    assert job_view(item, "/jobs/x", now=1.0)["position"] == 3
    assert "position" not in job_view(item | {"stage": "generating"}, "/jobs/x", now=1.0)


def test_a_key_is_its_callers_own():
    assert new_job_id("k", caller="user:a") == new_job_id("k", caller="user:a")
    assert new_job_id("k", caller="user:a") != new_job_id("k", caller="user:b") != new_job_id("k")
    # No caller and key can be spelt to collide with another's (route, caller, key).
    assert new_job_id("b:k", caller="user:a") != new_job_id("k", caller="user:a:b")


def test_a_stored_job_is_visible_to_its_caller_only():
    item = {"request": json.dumps(execution_input({"prompt": "a cat"}, None, "user:a"))}
    assert is_visible_to(item, "user:a")
    assert not is_visible_to(item, "user:b")
    assert not is_visible_to(item, None)
    public = {"request": json.dumps(execution_input({"prompt": "a cat"}, None, None))}
    assert is_visible_to(public, None)
    assert not is_visible_to({"request": "not json"}, "user:a")
