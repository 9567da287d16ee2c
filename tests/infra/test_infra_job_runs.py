"""RunJob runs a job's executions one after another: its deployed timeout covers them
inside Lambda's 900 s, and the job queue's depth follows the capacity."""

from __future__ import annotations

from tests.infra.stack_fixtures import CUSTOM, synthesize
from text2image.catalogue import LAMBDA_MAX_TIMEOUT_SECONDS
from text2image.config import default_job_queue_depth
from text2image.domain.jobs import JOB_LOST_AFTER_SECONDS, JOB_RUNS, JOB_TIMEOUT_SECONDS


def test_run_job_outlives_all_of_a_jobs_runs_within_lambdas_maximum_and_before_the_job_is_called_lost():
    timeout = synthesize(CUSTOM).function("RunJob")["Timeout"]
    assert JOB_RUNS >= 2  # a job whose turn does not come in one execution has another
    assert JOB_RUNS * JOB_TIMEOUT_SECONDS < timeout <= LAMBDA_MAX_TIMEOUT_SECONDS
    # A job still RUNNING is shown lost only once its runner must have stopped.
    assert timeout < JOB_LOST_AFTER_SECONDS


def test_the_job_queues_depth_is_derived_from_the_stacks_capacity_unless_set():
    depths = {}
    for context in ({}, CUSTOM):  # one instance, then two
        variables = synthesize(context).function("JobsApi")["Environment"]["Variables"]
        capacity = int(variables["GENERATION_CAPACITY"])
        depths[capacity] = int(variables["MAX_JOBS_IN_FLIGHT"])
        assert depths[capacity] == default_job_queue_depth(
            capacity, float(variables["EXPECTED_GENERATION_SECONDS"])
        )
    assert depths == {1: 57, 2: 114}
