"""`make bench`: the import cost of each handler (its cold start) against a bare one.

Each catalogue handler module is imported in a fresh Python process, in turn with
a bare handler that imports boto3 and makes two clients (what any handler pays);
each pair gives one ratio, and the median of the ratios is printed. Pairing keeps
the ratio meaningful on a machine whose speed drifts. The target is each handler
at most 1.3x the bare one: a median above it is measured again with twice the
pairs (one slow moment on a noisy machine is not a regression), and a handler
still above it makes the command exit 1, so a regression fails `make bench`.

The environment is Lambda's (`LAMBDA_TASK_ROOT` set, so the garbage collector is
paused during the import as it is there: text2image/startup.py) with tracing off;
with it on, the X-Ray SDK loads at cold start because it is then needed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from repo_paths import LAMBDAS_DIR
from text2image.catalogue import FUNCTIONS

TARGET_RATIO = 1.3
BARE_HANDLER = "import boto3; boto3.client('s3'); boto3.client('sagemaker-runtime')"


def required_variables() -> dict[str, str]:
    """A placeholder for every variable a catalogue function's configuration requires,
    so a new function (or a new required variable) is benchmarked without an edit here."""
    return {
        variable: f"bench-{field}"
        for spec in FUNCTIONS
        for field, variable in spec.config.ENV.items()
        if spec.config.model_fields[field].is_required()
    }


# What a handler reads at cold start; no call is made.
ENVIRONMENT = {
    **required_variables(),
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    # As in Lambda (handlers/__init__.py pauses the garbage collector there).
    "LAMBDA_TASK_ROOT": str(LAMBDAS_DIR),
    "PYTHONPATH": str(LAMBDAS_DIR),
}


def seconds_to_run(code: str) -> float:
    environment = {**os.environ, **ENVIRONMENT}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=environment, check=True, cwd=LAMBDAS_DIR)
    return time.perf_counter() - started


def paired_ratios(code: str, runs: int) -> tuple[list[float], list[float]]:
    """(the handler's seconds / the bare handler's, pair by pair), and the handler's seconds."""
    seconds_to_run(code)  # warm the file cache and the bytecode
    ratios, timings = [], []
    for _ in range(runs):
        handler = seconds_to_run(code)
        bare = seconds_to_run(BARE_HANDLER)
        ratios.append(handler / bare)
        timings.append(handler)
    return ratios, timings


Pairs = tuple[list[float], list[float]]
Measure = Callable[[str, int], Pairs]


def measure_handler(
    code: str, runs: int, measure: Measure = paired_ratios
) -> tuple[list[float], list[float]]:
    """The pairs for one handler; above the target, twice as many more, judged all together."""
    ratios, timings = measure(code, runs)
    if statistics.median(ratios) > TARGET_RATIO:
        more_ratios, more_timings = measure(code, 2 * runs)
        ratios, timings = ratios + more_ratios, timings + more_timings
    return ratios, timings


def main(argv: list[str] | None = None, measure: Measure = paired_ratios) -> int:
    parser = argparse.ArgumentParser(prog="python -m workflow.measure.cold_start", description=__doc__)
    parser.add_argument("--runs", type=int, default=9, help="pairs per handler")
    args = parser.parse_args(argv)
    if measure is paired_ratios:
        seconds_to_run(BARE_HANDLER)
    print(
        f"Cold start: import of each handler / a bare handler ({BARE_HANDLER}); median of {args.runs} pairs"
    )
    print(
        f"{'function':<22}{'handler s':>10}{'ratio':>8}{'min':>7}{'max':>7}{'pairs':>7}"
        f"  target <= {TARGET_RATIO}"
    )
    above = []
    for spec in FUNCTIONS:
        module = spec.handler.rsplit(".", 1)[0]
        ratios, timings = measure_handler(f"import {module}", args.runs, measure)
        median = statistics.median(ratios)
        verdict = "ABOVE TARGET" if median > TARGET_RATIO else ""
        if verdict:
            above.append(spec.name)
        print(
            f"{spec.name:<22}{statistics.median(timings):>10.3f}{median:>8.2f}"
            f"{min(ratios):>7.2f}{max(ratios):>7.2f}{len(ratios):>7}  {verdict}"
        )
    if above:
        print(f"Cold start above {TARGET_RATIO}x a bare handler: {', '.join(above)}", file=sys.stderr)
        return 1
    print(f"Every handler within {TARGET_RATIO}x a bare handler.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
