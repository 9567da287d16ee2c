"""Asynchronous jobs through the local API: POST /jobs starts RunJob asynchronously,
which runs the job machine (the same ASL, the job's timeout) once and records the
same answer the sync route gives; GET /jobs/{id} reads the job item."""

from __future__ import annotations

import time
from typing import Any

import pytest
from werkzeug.test import Client

from tests.conftest import ANSWER_END, endpoint_answers
from text2image.adapters.jobs import JobTable
from workflow.local.api import LocalApi
from workflow.local.backend import LocalBackend
from workflow.local.environment import TABLE_NAMES, LocalEnvironment
from workflow.standins.admin import inject_fault

BENIGN = "a red bicycle leaning on a wall"
TOXIC = "you are a worthless idiot and I will hurt you"


@pytest.fixture
def api(env: LocalEnvironment) -> Client:
    return Client(LocalApi(LocalBackend(env)))


def submit(api: Client, body: dict[str, Any], key: str | None = None) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return api.post("/api/jobs", json=body, headers=headers)


def runs_of_run_job(env: LocalEnvironment, timeout: float = 10.0) -> int:
    """How many RunJob invocations ran. The dispatcher records an asynchronous invocation
    when its handler returns, which can be just after the job's answer is written: wait
    for the first record, then a moment more for any duplicate."""
    deadline = time.monotonic() + timeout
    while not env.dispatcher.calls_to("RunJob") and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    return len(env.dispatcher.calls_to("RunJob"))


def poll_until_done(
    api: Client, url: str, timeout: float = 90.0
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The final view, and every view seen on the way."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = api.get(url)
        assert response.status_code == 200
        seen.append(response.json)
        if response.json["status"] == "DONE":
            return response.json, seen
        time.sleep(0.05)
    raise AssertionError(f"job {url} did not end; last seen {seen[-1]}")


def test_a_job_answers_202_with_its_location_then_ends_approved_with_the_sync_body(api, env):
    response = submit(
        api, {"prompt": BENIGN, "seed": 5, "steps": 30, "use_refiner": True, "refiner_steps": 10}
    )

    assert response.status_code == 202
    job_id = response.json["job_id"]
    assert response.headers["Location"] == f"/api/jobs/{job_id}" == response.json["status_url"]
    final, seen = poll_until_done(api, response.headers["Location"])
    assert final["http_status"] == 200
    assert (final["result"]["status"], final["result"]["seed"]) == ("APPROVED", 5)
    assert final["result"]["execution_id"].endswith(f"job-{job_id}")
    stages = [view["stage"] for view in seen]
    assert stages[-1] == "done"
    # The job's own quality settings reached the generation.
    [generation] = env.dispatcher.calls_to("GenerateImage")
    assert (generation.event["request"]["steps"], generation.event["request"]["refiner_steps"]) == (30, 10)
    assert endpoint_answers(env) == 1


def test_a_job_goes_through_its_stages_in_order(api, env):
    inject_fault(env.standins_url, "sagemaker", "slow", count=1)
    response = submit(api, {"prompt": BENIGN})
    final, seen = poll_until_done(api, response.json["status_url"])

    order = ["queued", "checking_prompt", "generating", "moderating", "storing", "done"]
    stages = [order.index(view["stage"]) for view in seen]
    assert "generating" in {view["stage"] for view in seen}
    # Queued again after the prompt check is allowed (it waits for a slot), but never back from generating.
    after_generating = stages[stages.index(order.index("generating")) :]
    assert after_generating == sorted(after_generating)
    assert final["result"]["status"] == "APPROVED"


def test_a_toxic_prompt_job_ends_422_at_the_prompt_stage_and_draws_nothing(api, env):
    response = submit(api, {"prompt": TOXIC})
    final, _ = poll_until_done(api, response.json["status_url"])

    assert final["http_status"] == 422
    assert final["result"]["stage"] == "prompt"
    assert endpoint_answers(env) == 0


def test_a_flagged_image_job_ends_422_at_the_image_stage_and_publishes_nothing(api, env):
    inject_fault(env.standins_url, "rekognition", "flag")
    response = submit(api, {"prompt": BENIGN})
    final, _ = poll_until_done(api, response.json["status_url"])

    assert final["http_status"] == 422
    assert final["result"]["stage"] == "image"
    assert env.keys("generated_images/") == [] and env.keys("staging/") == []


def test_a_failing_endpoint_job_ends_502_like_the_sync_route(api, env):
    inject_fault(env.standins_url, "sagemaker", "error", count=5)
    response = submit(api, {"prompt": BENIGN})
    final, _ = poll_until_done(api, response.json["status_url"])

    assert final["http_status"] == 502
    assert final["result"]["error"] == "GenerationFailed"


@pytest.mark.parametrize(
    "body",
    [
        {"prompt": BENIGN, "steps": 51},
        {"prompt": BENIGN, "steps": 0},
        {"prompt": BENIGN, "refiner_strength": 1.5},
        {"prompt": BENIGN, "refiner_steps": 60},
        {"prompt": BENIGN, "use_refiner": "yes"},
        {"prompt": ""},
        {"prompt": BENIGN, "colour": "red"},
    ],
)
def test_an_invalid_job_is_refused_400_and_nothing_is_queued(api, env, body):
    response = submit(api, body)

    assert response.status_code == 400
    assert response.json["error"] == "InvalidRequest"
    assert env.dispatcher.calls_to("RunJob") == []


def test_the_sync_route_still_refuses_a_jobs_quality_settings(api, env):
    response = api.post("/api/generate", json={"prompt": BENIGN, "steps": 50})
    assert response.status_code == 400


def test_an_unknown_job_is_404(api, env):
    assert api.get("/api/jobs/00000000-0000-4000-8000-000000000000").status_code == 404
    assert api.get("/api/jobs/%23queue").status_code == 404


def test_past_the_queue_depth_a_job_is_refused_429_with_retry_after(api, env):
    env.configure("JobsApi", MAX_JOBS_IN_FLIGHT="2")
    inject_fault(env.standins_url, "sagemaker", "slow", count=3)
    first = [submit(api, {"prompt": f"{BENIGN} number {index}"}) for index in range(2)]
    refused = submit(api, {"prompt": BENIGN})

    assert [response.status_code for response in first] == [202, 202]
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.json["error"] == "TooManyJobs"
    for response in first:
        poll_until_done(api, response.json["status_url"])
    # Finished jobs leave the queue: there is room again.
    again = submit(api, {"prompt": BENIGN})
    assert again.status_code == 202
    poll_until_done(api, again.json["status_url"])


def test_queue_positions_only_go_down(api, env):
    inject_fault(env.standins_url, "sagemaker", "slow", count=4)
    urls = [submit(api, {"prompt": f"{BENIGN} {index}"}).json["status_url"] for index in range(4)]
    positions: dict[str, list[int]] = {url: [] for url in urls}
    pending = set(urls)
    deadline = time.monotonic() + 120
    while pending and time.monotonic() < deadline:
        for url in list(pending):
            view = api.get(url).json
            if "position" in view:
                positions[url].append(view["position"])
            if view["status"] == "DONE":
                assert view["http_status"] == 200
                pending.discard(url)
        time.sleep(0.05)
    assert not pending
    assert any(len(set(seen)) > 1 or (seen and seen[0] > 1) for seen in positions.values())
    for seen in positions.values():
        assert seen == sorted(seen, reverse=True)


def test_a_replayed_run_job_starts_no_second_run_and_generates_once(api, env):
    response = submit(api, {"prompt": BENIGN})
    job_id = response.json["job_id"]
    poll_until_done(api, response.json["status_url"])

    # Lambda's asynchronous invocation is at least once: deliver it again, twice at once.
    for _ in range(2):
        payload, error = env.dispatcher.invoke("RunJob", f'{{"job_id": "{job_id}"}}')
        assert error is None and b'"ran": false' in payload
    assert endpoint_answers(env) == 1
    assert len([run for run in env.list_executions(1000) if run["name"] == f"job-{job_id}"]) == 1
    jobs = JobTable(env.dynamodb, TABLE_NAMES["JOBS_TABLE"])
    assert jobs.get(job_id)["http_status"] == 200


# --- Idempotency-Key ----------------------------------------------------------------


def test_a_repeated_idempotency_key_answers_the_same_job_and_generates_once(api, env):
    body = {"prompt": BENIGN, "seed": 3, "size": "1152x896"}
    first = submit(api, body, key="order-17")
    final, _ = poll_until_done(api, first.json["status_url"])
    # The same body in another key order, after the job ended: the same job, nothing new.
    again = submit(api, dict(reversed(list(body.items()))), key="order-17")

    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json["job_id"] == first.json["job_id"]
    assert again.headers["Location"] == first.headers["Location"]
    assert runs_of_run_job(env) == 1
    assert endpoint_answers(env) == 1
    assert api.get(again.json["status_url"]).json["result"] == final["result"]


def test_the_same_key_with_another_body_is_409_and_starts_nothing(api, env):
    first = submit(api, {"prompt": BENIGN}, key="k-409")
    poll_until_done(api, first.json["status_url"])

    reused = submit(api, {"prompt": f"{BENIGN}, at night"}, key="k-409")

    assert reused.status_code == 409
    assert reused.json["status"] == "CONFLICT"  # the same body as POST /generate's 409
    assert reused.json["error"] == "IdempotencyKeyReused"
    assert runs_of_run_job(env) == 1


def test_a_jobs_run_carries_no_key_and_passes_by_the_sync_routes_key_states(api, env):
    """/jobs keeps its own idempotency (the job item); the same key on /generate is another key."""
    first = submit(api, {"prompt": BENIGN}, key="shared-key")
    poll_until_done(api, first.json["status_url"])
    states = [
        state["name"] for state in api.get(f"/api/executions/job-{first.json['job_id']}").json["states"]
    ]

    assert states[:3] == ["ReceiveRequest", "IsThereAnIdempotencyKey", "ReserveCallersQuota"]
    assert states[-len(ANSWER_END) :] == ANSWER_END
    assert (
        env.dispatcher.calls_to("ClaimIdempotencyKey")
        == env.dispatcher.calls_to("SettleIdempotencyKey")
        == []
    )

    sync = api.post("/api/generate", json={"prompt": BENIGN}, headers={"Idempotency-Key": "shared-key"})
    assert sync.status_code == 200  # generated: not the job's key
    assert len(env.dispatcher.calls_to("ClaimIdempotencyKey")) == 1
    assert endpoint_answers(env) == 2


def test_concurrent_repeats_of_one_key_make_one_job(api, env):
    import threading

    answers: list[Any] = []
    lock = threading.Lock()

    def send() -> None:
        response = Client(LocalApi(LocalBackend(env))).post(
            "/api/jobs", json={"prompt": BENIGN}, headers={"Idempotency-Key": "same-moment"}
        )
        with lock:
            answers.append(response)

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert {response.status_code for response in answers} == {202}
    assert len({response.json["job_id"] for response in answers}) == 1
    poll_until_done(api, answers[0].json["status_url"])
    assert runs_of_run_job(env) == 1
    assert endpoint_answers(env) == 1


def test_different_keys_are_different_jobs(api, env):
    first = submit(api, {"prompt": BENIGN}, key="a")
    second = submit(api, {"prompt": BENIGN}, key="b")
    assert first.json["job_id"] != second.json["job_id"]
    for response in (first, second):
        poll_until_done(api, response.json["status_url"])


def test_a_job_waits_for_a_slot_where_a_sync_request_is_refused(api, env):
    from text2image.adapters.dynamodb import SlotTable
    from workflow.local.environment import ENDPOINT_NAME

    # Another run has just taken the only slot and is expected to need 20 s.
    env.configure("AcquireGenerationSlot", EXPECTED_GENERATION_SECONDS="20")
    slots = SlotTable(env.dynamodb, TABLE_NAMES["SLOTS_TABLE"], ENDPOINT_NAME)
    slots.read()
    assert slots.try_acquire("arn:test:another-run", 1, time.time() + 60)

    sync = api.post("/api/generate", json={"prompt": BENIGN})
    assert sync.status_code == 503  # 20 s wait + 20 s generation do not fit in 28 s

    job = submit(api, {"prompt": BENIGN})
    deadline = time.monotonic() + 30
    while not any(
        call.event.get("mode") == "acquire" for call in env.dispatcher.calls_to("AcquireGenerationSlot")
    ):
        assert time.monotonic() < deadline, "the job never asked for its slot"
        time.sleep(0.1)
    view = api.get(job.json["status_url"]).json
    assert (view["status"], view["stage"], view.get("position")) == ("RUNNING", "queued", 1)

    slots.release("arn:test:another-run")
    final, _ = poll_until_done(api, job.json["status_url"])
    assert final["http_status"] == 200


def test_a_jobs_run_is_listed_and_inspected_like_a_sync_run(api, env):
    response = submit(api, {"prompt": TOXIC})
    poll_until_done(api, response.json["status_url"])
    name = f"job-{response.json['job_id']}"

    assert api.get("/api/executions").json["executions"][0]["id"] == name
    detail = api.get(f"/api/executions/{name}")
    assert detail.status_code == 200
    assert [state["name"] for state in detail.json["states"]][-5:] == ["PromptRejected", *ANSWER_END]
    assert detail.json["http_status"] == 422
