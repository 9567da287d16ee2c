"""`make smoke URL=...`: prove a deployment answers correctly, end to end.

Sends a handful of real requests to the public API (the deployed stack, or
`make local`), compares each answer with what the contract says it must be,
prints a table and exits non-zero on any mismatch:

- a benign prompt -> 200, and the image URL downloads a real PNG/JPEG of the size asked for;
- a toxic prompt -> 422 at stage `prompt`;
- an invalid body -> 400 `InvalidRequest`, nothing started;
- `/check-toxicity` on a benign and a toxic prompt -> 200, safe and not.

`--auth iam` signs each request with SigV4 (botocore, service `execute-api`,
credentials from the usual chain); `--auth apiKey` sends `x-api-key`.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

import requests
from PIL import Image

from text2image.contract import INVALID_REQUEST_ERROR, Decision, Stage, parse_size
from text2image.domain.jobs import JOB_LIFE_SECONDS
from workflow.local.auth import sign_in

Auth = Literal["none", "iam", "apiKey", "cognito"]
AUTH_MODES: tuple[str, ...] = ("none", "iam", "apiKey", "cognito")
TIMEOUT_SECONDS = 35.0  # API Gateway's 29 s, plus the network
IMAGE_FORMATS = frozenset({"PNG", "JPEG"})
BENIGN_PROMPT = "a watercolour painting of a lighthouse at dawn"
TOXIC_PROMPT = "you are a worthless idiot and I will hurt you"
APPROVED_SIZE = "1216x832"
_EXECUTE_API_HOST = re.compile(r"^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$")


@dataclass
class Answer:
    status: int
    body: Any
    seconds: float


# A check returns the list of what was wrong; empty means it passed.
Verify = Callable[[Answer, "SmokeClient"], list[str]]


@dataclass(frozen=True)
class SmokeCheck:
    name: str
    route: str
    body: dict[str, Any]
    expected_status: int
    verify: Verify = field(default=lambda answer, client: [])


@dataclass
class CheckResult:
    check: SmokeCheck
    status: int | None
    seconds: float
    problems: list[str]

    @property
    def passed(self) -> bool:
        return not self.problems


class SmokeClient:
    """POSTs JSON to the API, signed (iam) or keyed (apiKey) as the deployment asks."""

    def __init__(
        self,
        api_url: str,
        auth: Auth = "none",
        api_key: str | None = None,
        region: str | None = None,
        session: requests.Session | None = None,
        credentials: Any = None,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.api_url = api_base(api_url)
        self.auth = auth
        self.api_key = api_key
        self.http = session or requests.Session()
        if auth == "apiKey" and not api_key:
            raise ValueError("--auth apiKey needs --api-key (or the API_KEY variable)")
        self.region = region or region_of(self.api_url)
        self._credentials = credentials
        self._token = self._sign_in(username, password) if auth == "cognito" else None
        if auth == "iam":
            if not self.region:
                raise ValueError("--auth iam needs --region (or AWS_REGION) for a non-execute-api URL")
            if self._credentials is None:
                import botocore.session

                self._credentials = botocore.session.get_session().get_credentials()
            if self._credentials is None:
                raise ValueError("--auth iam found no AWS credentials (AWS_PROFILE or the usual variables)")

    def headers(self, method: str, url: str, data: bytes) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self.auth == "apiKey":
            headers["x-api-key"] = str(self.api_key)
        elif self.auth == "cognito":
            headers["Authorization"] = str(self._token)
        elif self.auth == "iam":
            from botocore.auth import SigV4Auth
            from botocore.awsrequest import AWSRequest

            request = AWSRequest(method=method, url=url, data=data, headers=headers)
            SigV4Auth(self._credentials, "execute-api", str(self.region)).add_auth(request)
            headers = dict(request.headers.items())
        return headers

    def post(self, route: str, body: dict[str, Any]) -> Answer:
        return self.request("POST", route, json.dumps(body).encode())

    def get(self, route: str) -> Answer:
        """For checks that follow up on an answer (e.g. polling a job's state)."""
        return self.request("GET", route, b"")

    def request(self, method: str, route: str, data: bytes) -> Answer:
        url = f"{self.api_url}{route}"
        started = time.perf_counter()
        response = self.http.request(
            method, url, data=data or None, headers=self.headers(method, url, data), timeout=TIMEOUT_SECONDS
        )
        try:
            parsed: Any = response.json()
        except ValueError:
            parsed = response.text[:200]
        return Answer(response.status_code, parsed, time.perf_counter() - started)

    def _sign_in(self, username: str | None, password: str | None) -> str:
        """The ID token of a test user, signed in as the page does (auth-config.json beside it)."""
        if not username or not password:
            raise ValueError(
                "--auth cognito needs --username and --password (or SMOKE_USERNAME, SMOKE_PASSWORD)"
            )
        site = self.api_url.removesuffix("/api")
        try:
            config = requests.get(f"{site}/auth-config.json", timeout=TIMEOUT_SECONDS).json()
            return sign_in(config["endpoint"], config["clientId"], username, password)
        except (requests.RequestException, ValueError, KeyError) as error:
            raise ValueError(
                f"could not sign in as {username} via {site}/auth-config.json (use the SiteUrl): {error}"
            ) from None

    def download(self, url: str) -> bytes:
        # A presigned S3 URL carries its own signature: never add ours.
        response = requests.get(url, timeout=TIMEOUT_SECONDS)
        response.raise_for_status()
        return response.content


def api_base(url: str) -> str:
    """The API base: the stage URL (ends in /api), or the site or make local (/api is added)."""
    url = url.rstrip("/")
    return url if url.endswith("/api") else f"{url}/api"


def region_of(api_url: str) -> str | None:
    match = _EXECUTE_API_HOST.match(urlsplit(api_url).hostname or "")
    if match:
        return match.group(1)
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")


def field_problems(body: Any, expected: dict[str, Any]) -> list[str]:
    if not isinstance(body, dict):
        return [f"body is not a JSON object: {body!r}"]
    return [
        f"{name}={body.get(name)!r}, expected {value!r}"
        for name, value in expected.items()
        if body.get(name) != value
    ]


def image_problems(answer: Answer, client: SmokeClient, size: str) -> list[str]:
    problems = field_problems(answer.body, {"status": Decision.APPROVED})
    if problems or "image_url" not in answer.body:
        return problems or ["no image_url"]
    width, height = parse_size(size)
    try:
        image = Image.open(io.BytesIO(client.download(answer.body["image_url"])))
        image.load()
    except (requests.RequestException, OSError) as error:
        return [f"image_url did not give an image: {error}"]
    if image.format not in IMAGE_FORMATS:
        problems.append(f"image is {image.format}, expected PNG or JPEG")
    if image.size != (width, height):
        problems.append(f"image is {image.size[0]}x{image.size[1]}, expected {size}")
    return problems


# A job runs in up to JOB_RUNS Express executions of at most 5 minutes each (a busy
# endpoint hands it over to a second one); a little more for its answer.
JOB_WAIT_SECONDS = JOB_LIFE_SECONDS + 30.0
JOB_POLL_SECONDS = 1.0


def job_problems(
    answer: Answer, client: SmokeClient, size: str, wait_seconds: float = JOB_WAIT_SECONDS
) -> list[str]:
    """A 202 job, followed on GET /jobs/{id} until it is done: it must end as an approved
    image of the requested size, like the sync route's answer."""
    job_id = answer.body.get("job_id") if isinstance(answer.body, dict) else None
    if not job_id:
        return [f"no job_id in {str(answer.body)[:160]}"]
    deadline = time.monotonic() + wait_seconds
    while True:
        view = client.get(f"/jobs/{job_id}")
        if view.status != 200 or not isinstance(view.body, dict):
            return [f"GET /jobs/{job_id}: HTTP {view.status}: {str(view.body)[:160]}"]
        if view.body.get("status") == "DONE":
            break
        if time.monotonic() > deadline:
            return [f"job {job_id} not done after {wait_seconds:.0f} s (stage {view.body.get('stage')})"]
        time.sleep(JOB_POLL_SECONDS)
    if view.body.get("http_status") != 200:
        return [f"job ended HTTP {view.body.get('http_status')}: {str(view.body.get('result'))[:160]}"]
    return image_problems(Answer(200, view.body.get("result"), view.seconds), client, size)


def standard_checks(seed: int = 7) -> list[SmokeCheck]:
    return [
        SmokeCheck(
            "approved image",
            "/generate",
            {"prompt": BENIGN_PROMPT, "size": APPROVED_SIZE, "seed": seed},
            200,
            lambda answer, client: image_problems(answer, client, APPROVED_SIZE),
        ),
        SmokeCheck(
            "toxic prompt rejected",
            "/generate",
            {"prompt": TOXIC_PROMPT},
            422,
            lambda answer, client: field_problems(
                answer.body, {"status": Decision.REJECTED, "stage": Stage.PROMPT}
            ),
        ),
        SmokeCheck(
            "invalid body refused",
            "/generate",
            {"prompt": BENIGN_PROMPT, "size": "7x7"},
            400,
            lambda answer, client: field_problems(answer.body, {"error": INVALID_REQUEST_ERROR}),
        ),
        SmokeCheck(
            "job approved",
            "/jobs",
            {"prompt": BENIGN_PROMPT, "size": APPROVED_SIZE, "seed": seed},
            202,
            lambda answer, client: job_problems(answer, client, APPROVED_SIZE),
        ),
        SmokeCheck(
            "check-toxicity benign",
            "/check-toxicity",
            {"prompt": BENIGN_PROMPT},
            200,
            lambda answer, client: field_problems(answer.body, {"safe": True}),
        ),
        SmokeCheck(
            "check-toxicity toxic",
            "/check-toxicity",
            {"prompt": TOXIC_PROMPT},
            200,
            lambda answer, client: field_problems(answer.body, {"safe": False}),
        ),
    ]


def run_checks(client: SmokeClient, checks: Sequence[SmokeCheck]) -> list[CheckResult]:
    results = []
    for check in checks:
        try:
            answer = client.post(check.route, check.body)
        except requests.RequestException as error:
            results.append(CheckResult(check, None, 0.0, [f"no answer: {error}"]))
            continue
        problems = []
        if answer.status != check.expected_status:
            problems.append(
                f"HTTP {answer.status}, expected {check.expected_status}: {str(answer.body)[:160]}"
            )
        else:
            problems = check.verify(answer, client)
        results.append(CheckResult(check, answer.status, answer.seconds, problems))
    return results


def table(results: Sequence[CheckResult]) -> str:
    rows = [("check", "route", "expected", "got", "seconds", "result")]
    for result in results:
        rows.append(
            (
                result.check.name,
                result.check.route,
                str(result.check.expected_status),
                "-" if result.status is None else str(result.status),
                f"{result.seconds:.1f}",
                "ok" if result.passed else "FAIL: " + "; ".join(result.problems),
            )
        )
    widths = [max(len(row[i]) for row in rows[:]) for i in range(len(rows[0]) - 1)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)) + "  " + row[-1]
        for row in rows
    ]
    return "\n".join(lines)


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m workflow.ops.smoke", description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the API: the stack's ApiUrl or SiteUrl output, or make local's URL")
    parser.add_argument("--auth", choices=AUTH_MODES, default="none", help="the stack's apiAuth mode")
    parser.add_argument("--api-key", default=os.environ.get("API_KEY"), help="the key's value (apiKey mode)")
    parser.add_argument("--region", help="for SigV4, when the URL is not an execute-api one")
    parser.add_argument("--username", default=os.environ.get("SMOKE_USERNAME"), help="a test user (cognito)")
    parser.add_argument("--password", default=os.environ.get("SMOKE_PASSWORD"), help="its password (cognito)")
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_arguments(argv)
    try:
        client = SmokeClient(
            args.url,
            auth=args.auth,
            api_key=args.api_key,
            region=args.region,
            username=args.username,
            password=args.password,
        )
    except ValueError as error:
        print(f"smoke: {error}", file=sys.stderr)
        return 2
    print(f"smoke test of {client.api_url} (auth: {client.auth})")
    results = run_checks(client, standard_checks(args.seed))
    print(table(results))
    failed = [result for result in results if not result.passed]
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
