"""`make loadtest`: the capacity checks of issue 12, on loopback, bounded, stopping by itself.

The SDXL stand-in is slowed to a realistic 6 s per image with the `slow` fault, and
serves `INSTANCES` images at once (1 unless the environment says otherwise); the
admission's capacity follows it through RefreshGenerationCapacity, as in the cloud.
What it checks and prints (a table, the throughput of checks 1 and 2 together, and a
PNG of latency per request):

1. 24 concurrent `POST /api/generate`: every answer is 200, or 503 with
   Retry-After; no 502 or 504; refusals come back in under 1 s; the generator
   draws no image nobody waits for (its call log has one call per 200).
2. 40 `POST /api/jobs` at once: every job ends approved (or rejected by
   moderation), none is lost, none is generated twice (counted per job id, over
   all of a job's runs), and the queue position a poller sees only goes down,
   also across a job's hand-over to its next run.
3. Every job request repeated with the same `Idempotency-Key` (at once): one job
   and exactly one generation per key. 3b: every sync request sent three times at
   once with the same key, then once more after the answers: the same answer for
   all four and exactly one generation per key (the dispatcher's GenerateImage log,
   by the key in each run's input, and the stand-in's call log).
4. A run that dies holding the slot: the slot comes back when its lease expires.
5. After all of it, nothing is left under `staging/`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import requests

from text2image.adapters.dynamodb import SlotTable
from text2image.domain.jobs import JOB_LIFE_SECONDS, job_of_execution
from workflow.local.api import ApiServer, LocalApi
from workflow.local.backend import LocalBackend
from workflow.local.console import console_environment
from workflow.local.environment import ENDPOINT_NAME, TABLE_NAMES, LocalEnvironment
from workflow.measure.charts import latency_per_request
from workflow.standins.admin import inject_fault

PROMPT = "a lighthouse on a cliff at dawn, oil painting"
GENERATION_SECONDS = 6.0
CONCURRENT = 24
REFUSAL_SECONDS = 1.0
REQUEST_TIMEOUT = 40.0
JOBS = 40
IDEMPOTENT_KEYS, REPEATS = 5, 3
SYNC_KEYS = 2
POLL_SECONDS = 1.0
# A job may wait and run for all its runs (two of the job machine's five minutes).
JOB_SECONDS = JOB_LIFE_SECONDS + 30.0
# The whole run stops by itself after this, whatever happens.
TOTAL_SECONDS = 1200.0
INVOCATIONS = "/endpoints/"


@dataclass
class Answer:
    index: int
    status: int
    seconds: float
    retry_after: str | None
    error: str | None
    image_key: str | None = None


@dataclass
class Check:
    name: str
    passed: bool | None  # None: not run
    detail: str


def post_generate(url: str, index: int, key: str | None = None) -> Answer:
    started = time.monotonic()
    headers = {"Idempotency-Key": key} if key else {}
    try:
        response = requests.post(
            f"{url}/api/generate", json={"prompt": PROMPT}, headers=headers, timeout=REQUEST_TIMEOUT
        )
    except requests.RequestException as error:
        return Answer(index, 0, time.monotonic() - started, None, type(error).__name__)
    body = response.json() if response.headers.get("Content-Type") == "application/json" else {}
    return Answer(
        index,
        response.status_code,
        time.monotonic() - started,
        response.headers.get("Retry-After"),
        body.get("error"),
        body.get("image_key"),
    )


def endpoint_calls(env: LocalEnvironment) -> int:
    return sum(1 for call in env.service_calls() if call["operation"].startswith(INVOCATIONS))


def wait_until_endpoint_idle(env: LocalEnvironment, deadline: float) -> None:
    """Late answers of the stand-in land (or not) before the bucket is inspected."""
    seen = -1
    while time.monotonic() < deadline:
        now = endpoint_calls(env)
        if now == seen:
            return
        seen = now
        time.sleep(GENERATION_SECONDS + 1)


def refusal_times(refused: list[Answer]) -> str:
    """The round trip of the refusals: their median and the slowest (the check is on the slowest)."""
    if not refused:
        return "no refusals"
    seconds = [answer.seconds for answer in refused]
    return f"refusals p50 {statistics.median(seconds):.2f} s, slowest {max(seconds):.2f} s"


def concurrent_sync_requests(env: LocalEnvironment, url: str) -> tuple[list[Answer], Check]:
    before = endpoint_calls(env)
    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        answers = list(pool.map(lambda index: post_generate(url, index), range(1, CONCURRENT + 1)))
    wait_until_endpoint_idle(env, time.monotonic() + 30)
    drawn = endpoint_calls(env) - before
    approved = [a for a in answers if a.status == 200]
    refused = [a for a in answers if a.status == 503]
    problems = []
    if any(a.status not in (200, 503) for a in answers):
        problems.append(f"other answers: {sorted({a.status for a in answers} - {200, 503})}")
    if any(a.retry_after is None for a in refused):
        problems.append("a 503 without Retry-After")
    slow_refusals = [a for a in refused if a.seconds >= REFUSAL_SECONDS]
    if slow_refusals:
        problems.append(f"{len(slow_refusals)} refusals took >= {REFUSAL_SECONDS} s")
    if drawn != len(approved):
        problems.append(f"the generator drew {drawn} images for {len(approved)} callers")
    detail = f"{len(approved)} x 200, {len(refused)} x 503; {refusal_times(refused)}; images drawn {drawn}"
    return answers, Check("1. 24 concurrent sync requests", not problems, "; ".join([detail, *problems]))


def post_job(url: str, body: dict[str, Any], key: str | None = None) -> requests.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return requests.post(f"{url}/api/jobs", json=body, headers=headers, timeout=REQUEST_TIMEOUT)


def follow_jobs(url: str, status_urls: list[str], deadline: float) -> dict[str, list[dict[str, Any]]]:
    """Every view of each job, polled until all are DONE or the deadline passes."""
    seen: dict[str, list[dict[str, Any]]] = {status: [] for status in status_urls}
    pending = set(status_urls)
    while pending and time.monotonic() < deadline:
        for status in sorted(pending):
            view = requests.get(f"{url}{status}", timeout=REQUEST_TIMEOUT).json()
            seen[status].append(view)
            if view.get("status") == "DONE":
                pending.discard(status)
        time.sleep(POLL_SECONDS)
    return seen


def generations_per_job(env: LocalEnvironment) -> Counter[str]:
    """GenerateImage invocations by job id, over all of a job's runs (`job-<id>`,
    `job-<id>-2`, ...), from the local dispatcher's log; sync runs are left out."""
    jobs = (
        job_of_execution(call.event["execution_id"].rsplit(":", 1)[-1])
        for call in env.dispatcher.calls_to("GenerateImage")
    )
    return Counter(job for job in jobs if job)


def runs_per_job(env: LocalEnvironment) -> Counter[str]:
    """Executions started per job id: each run joins the queue once (ReserveGenerationPlace)."""
    names = {
        call.event["execution_name"]
        for call in env.dispatcher.calls_to("AcquireGenerationSlot")
        if call.event.get("mode") == "reserve"
    }
    return Counter(job for job in map(job_of_execution, names) if job)


def forty_jobs(env: LocalEnvironment, url: str) -> Check:
    before = endpoint_calls(env)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=JOBS) as pool:
        accepted = list(
            pool.map(lambda i: post_job(url, {"prompt": f"{PROMPT}, variation {i}"}), range(JOBS))
        )
    statuses = [response.status_code for response in accepted]
    urls = [response.json()["status_url"] for response in accepted if response.status_code == 202]
    seen = follow_jobs(url, urls, time.monotonic() + JOB_SECONDS)
    elapsed = time.monotonic() - started
    wait_until_endpoint_idle(env, time.monotonic() + 30)
    finals = [views[-1] for views in seen.values()]
    ended = Counter(
        f"{view.get('http_status')} {view.get('result', {}).get('status', '')}".strip()
        for view in finals
        if view.get("status") == "DONE"
    )
    good = sum(
        1
        for view in finals
        if view.get("status") == "DONE"
        and (view["http_status"] == 200 or view.get("result", {}).get("stage") == "image")
    )
    job_ids = {response.json()["job_id"] for response in accepted if response.status_code == 202}
    per_job = generations_per_job(env)
    twice = [job for job in job_ids if per_job[job] > 1]
    runs = Counter(count for job, count in runs_per_job(env).items() if job in job_ids)
    went_up = [
        status
        for status, views in seen.items()
        if any(b > a for a, b in pairwise([view["position"] for view in views if "position" in view]))
    ]
    most_positions = max(
        (len({v["position"] for v in views if "position" in v}) for views in seen.values()), default=0
    )
    problems = []
    if statuses.count(202) != JOBS:
        problems.append(f"accepted {statuses.count(202)} of {JOBS}: {sorted(Counter(statuses).items())}")
    if good != JOBS:
        problems.append(f"{JOBS - good} jobs did not end approved or image-rejected")
    if twice:
        problems.append(f"{len(twice)} jobs generated more than once")
    if went_up:
        problems.append(f"{len(went_up)} jobs saw their position go up")
    detail = (
        f"{statuses.count(202)} x 202; ended {dict(sorted(ended.items()))} in {elapsed:.0f} s; images drawn "
        f"{endpoint_calls(env) - before}; jobs by runs {dict(sorted(runs.items()))}; "
        f"most distinct positions seen by one job {most_positions}"
    )
    return Check(f"2. {JOBS} jobs at once", not problems, "; ".join([detail, *problems]))


def repeated_keys(env: LocalEnvironment, url: str) -> Check:
    before = endpoint_calls(env)
    runs_before = len(env.dispatcher.calls_to("RunJob"))
    sends = [(key, repeat) for key in range(IDEMPOTENT_KEYS) for repeat in range(REPEATS)]
    with ThreadPoolExecutor(max_workers=len(sends)) as pool:
        answers = list(
            pool.map(
                lambda send: post_job(url, {"prompt": f"{PROMPT}, key {send[0]}"}, key=f"loadtest-{send[0]}"),
                sends,
            )
        )
    ids: dict[int, set[str]] = {}
    for (key, _), response in zip(sends, answers, strict=True):
        ids.setdefault(key, set()).add(response.json().get("job_id", "?"))
    urls = sorted({response.json()["status_url"] for response in answers if response.status_code == 202})
    follow_jobs(url, urls, time.monotonic() + JOB_SECONDS)
    wait_until_endpoint_idle(env, time.monotonic() + 30)
    drawn = endpoint_calls(env) - before
    runs = len(env.dispatcher.calls_to("RunJob")) - runs_before
    problems = []
    if any(response.status_code != 202 for response in answers):
        problems.append(f"answers {sorted(Counter(r.status_code for r in answers).items())}")
    if any(len(job_ids) != 1 for job_ids in ids.values()):
        problems.append("a key answered more than one job")
    if drawn != IDEMPOTENT_KEYS or runs != IDEMPOTENT_KEYS:
        problems.append(f"{drawn} images and {runs} runs for {IDEMPOTENT_KEYS} keys")
    detail = (
        f"POST /jobs: {IDEMPOTENT_KEYS} keys x {REPEATS} at once -> {len(urls)} jobs, {runs} runs, "
        f"{drawn} images"
    )
    return Check("3. Idempotency-Key repeats (jobs)", not problems, "; ".join([detail, *problems]))


def generations_per_key(env: LocalEnvironment) -> Counter[str]:
    """GenerateImage invocations by the Idempotency-Key in their run's input (dispatcher log)."""
    keys: Counter[str] = Counter()
    for call in env.dispatcher.calls_to("GenerateImage"):
        described = env.sfn.describe_execution(executionArn=call.event["execution_id"])
        keys[json.loads(described["input"]).get("idempotency_key", "")] += 1
    return keys


def repeated_sync_keys(env: LocalEnvironment, url: str) -> Check:
    """Each key three times at once, then once more after the answers (one key at a time,
    so the keys do not compete for the one slot)."""
    wait_until_endpoint_idle(env, time.monotonic() + 30)
    before = endpoint_calls(env)
    problems = []
    answers: dict[str, list[Answer]] = {}
    for number in range(SYNC_KEYS):
        key = f"loadtest-sync-{number}"
        with ThreadPoolExecutor(max_workers=REPEATS) as pool:
            answers[key] = list(pool.map(post_generate, [url] * REPEATS, range(REPEATS), [key] * REPEATS))
        answers[key].append(post_generate(url, REPEATS, key))
        if {a.status for a in answers[key]} != {200} or len({a.image_key for a in answers[key]}) != 1:
            problems.append(f"{key}: {[(a.status, a.error) for a in answers[key]]}")
    wait_until_endpoint_idle(env, time.monotonic() + 30)
    drawn = endpoint_calls(env) - before
    per_key = generations_per_key(env)
    generated = {key: per_key[key] for key in answers}
    if any(count != 1 for count in generated.values()) or drawn != SYNC_KEYS:
        problems.append(f"generations per key {generated}, images drawn {drawn}")
    slowest_replay = max(a.seconds for sent in answers.values() for a in sent[REPEATS:])
    detail = (
        f"POST /generate: {SYNC_KEYS} keys x ({REPEATS} at once + 1 later) -> "
        f"{sum(a.status == 200 for sent in answers.values() for a in sent)} x 200, generations per key "
        f"{sorted(generated.values())}, {drawn} images; later repeats answered in {slowest_replay:.2f} s"
    )
    return Check("3b. Idempotency-Key repeats (sync)", not problems, "; ".join([detail, *problems]))


def dead_holder_slot_comes_back(env: LocalEnvironment, url: str) -> Check:
    """Every slot is held by a run that died (leases written directly): the next request waits,
    reclaims one at expiry and is served."""
    slots = SlotTable(env.dynamodb, TABLE_NAMES["SLOTS_TABLE"], ENDPOINT_NAME)
    lease_seconds = 8.0
    dead = [f"arn:loadtest:dead-run-{n}" for n in range(slots.read().capacity(1))]
    for holder in dead:
        slots.try_acquire(holder, capacity=1, lease_expiry=time.time() + lease_seconds)
    answer = post_generate(url, 0)
    freed = not set(dead) & set(slots.read().leases)
    passed = answer.status == 200 and freed and answer.seconds >= lease_seconds
    return Check(
        "4. a dead run's slot comes back after its lease",
        passed,
        f"lease {lease_seconds:.0f} s; next request answered {answer.status} after {answer.seconds:.1f} s; "
        f"dead lease removed: {freed}",
    )


def nothing_staged(env: LocalEnvironment) -> Check:
    left = env.keys("staging/")
    return Check("5. nothing left under staging/", not left, f"{len(left)} objects under staging/")


def write_chart(answers: list[Answer], path: Path, instances: int) -> None:
    """Latency per request of check 1: green 200, amber 503, red anything else."""
    latency_per_request(
        [(a.index, a.status, a.seconds) for a in answers],
        path,
        title=(
            f"{CONCURRENT} concurrent POST /api/generate, {instances} instance(s) "
            f"at {GENERATION_SECONDS:.0f} s an image"
        ),
    )


def throughput(images: int, seconds: float) -> str:
    """Images drawn per minute of wall time."""
    return f"throughput: {images / seconds * 60 if seconds > 0 else 0.0:.1f} images/min"


def print_report(answers: list[Answer], checks: list[Check], chart: Path, rate: str) -> None:
    print(f"\n{'#':>3} {'HTTP':>4} {'seconds':>8} {'Retry-After':>11}  error")
    for a in sorted(answers, key=lambda answer: answer.index):
        print(f"{a.index:>3} {a.status:>4} {a.seconds:>8.2f} {a.retry_after or '-':>11}  {a.error or ''}")
    print()
    for check in checks:
        verdict = "NOT RUN" if check.passed is None else ("PASS" if check.passed else "FAIL")
        print(f"{verdict:>7}  {check.name}: {check.detail}")
    print(f"\n{rate} (checks 1 and 2: the sync burst and the jobs together)")
    print(f"chart: {chart}")
    # Timings on a shared machine mean little without its load.
    print(f"load average (1, 5, 15 min): {', '.join(f'{value:.1f}' for value in os.getloadavg())}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chart", type=Path, default=Path("out/loadtest.png"))
    args = parser.parse_args(argv)
    deadline = time.monotonic() + TOTAL_SECONDS
    with console_environment() as env:
        server = ApiServer(LocalApi(LocalBackend(env)), host="127.0.0.1").start()
        try:
            inject_fault(env.standins_url, "sagemaker", "slow", count=1000, delay_seconds=GENERATION_SECONDS)
            instances = env.refresh_capacity()["instances_in_service"]
            print(
                f"Warming up (one request: cold starts, models, a first latency); {instances} instance(s)..."
            )
            post_generate(server.url, 0)
            drawn_before, started = endpoint_calls(env), time.monotonic()
            answers, first = concurrent_sync_requests(env, server.url)
            checks = [first]
            checks.append(forty_jobs(env, server.url))
            rate = throughput(endpoint_calls(env) - drawn_before, time.monotonic() - started)
            checks.append(repeated_keys(env, server.url))
            checks.append(repeated_sync_keys(env, server.url))
            checks.append(dead_holder_slot_comes_back(env, server.url))
            wait_until_endpoint_idle(env, deadline)
            checks.append(nothing_staged(env))
        finally:
            server.stop()
    write_chart(answers, args.chart, instances)
    print_report(answers, checks, args.chart, rate)
    if time.monotonic() > deadline:
        print(f"stopped: over the {TOTAL_SECONDS:.0f} s bound")
        return 1
    return 0 if all(check.passed is not False for check in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
