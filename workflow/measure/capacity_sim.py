"""`make capacity-sim`: a discrete-event simulation (SimPy) of the service at internet scale.

A day of sync requests (28 s budget) with a daily cycle and bursts meets a fleet of
ml.g5.4xlarge instances (5-10 min to boot, 6-10 s an image, `--per-instance`
generations at once, at most `--quota` instances). Two policies are compared, each
with the product's own functions (`domain.admission` decides every arrival and every
grant, `domain.capacity` sets the capacity and the scaling target):

- static: the admission's capacity is fixed at the minimum instances, and the
  endpoint scales on invocations per instance (target 6 a minute);
- live: the capacity follows the instances in service (refreshed every minute), and
  the endpoint scales on the backlog per instance (`BacklogScaling`).

It prints p95 wait, refusal rate, GPU utilisation and cost per 1,000 images for each
load and policy, plots them to a PNG, and states the largest load the quota serves.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import simpy

from text2image.config import AdmissionConfig
from text2image.domain.admission import Turn, decide_on_arrival, slot_free_times
from text2image.domain.capacity import (
    REFRESH_SECONDS,
    BacklogScaling,
    backlog,
    live_capacity,
)
from workflow.measure.charts import plt, save

HOUR = 3600.0
DAY = 24 * HOUR
PRICE_PER_INSTANCE_HOUR = 2.03  # ml.g5.4xlarge, us-east-1, on demand
BOOT_SECONDS = (300.0, 600.0)
GENERATION_SECONDS = (6.0, 10.0)
# The scaling policy of the static admission: SageMakerVariantInvocationsPerInstance.
INVOCATIONS_PER_INSTANCE_TARGET = 6.0
# Bursts: every few hours, five minutes at three times the rate of the moment.
BURST_EVERY, BURST_SECONDS, BURST_FACTOR = 3 * HOUR, 300.0, 3.0
DEFAULTS = AdmissionConfig.model_fields
RUN_BUDGET = float(DEFAULTS["run_budget_seconds"].default)
AFTER_GENERATION = float(DEFAULTS["after_generation_seconds"].default)
POLL = float(DEFAULTS["poll_seconds"].default)
LEASE = float(DEFAULTS["lease_seconds"].default)


def arrival_rate(peak_per_minute: float, t: float) -> float:
    """Requests a second: a daily cycle from a tenth of the peak (at 04:00) to the peak
    (at 16:00), times three during a burst."""
    phase = math.cos(2 * math.pi * (t - 16 * HOUR) / DAY)
    per_minute = peak_per_minute * (0.55 + 0.45 * phase)
    if t % BURST_EVERY < BURST_SECONDS:
        per_minute *= BURST_FACTOR
    return per_minute / 60


@dataclass
class Outcome:
    arrivals: int = 0
    refused: int = 0
    waits: list[float] = field(default_factory=list)
    generation_seconds: float = 0.0
    instance_seconds: float = 0.0  # billed: from launch to removal
    serving_seconds: float = 0.0  # in service

    @property
    def images(self) -> int:
        return len(self.waits)

    def p95_wait(self) -> float:
        return statistics.quantiles(self.waits, n=20)[-1] if len(self.waits) >= 20 else 0.0

    def refusal_rate(self) -> float:
        return self.refused / self.arrivals if self.arrivals else 0.0

    def utilisation(self, per_instance: int) -> float:
        return (
            self.generation_seconds / (self.serving_seconds * per_instance) if self.serving_seconds else 0.0
        )

    def cost_per_thousand(self) -> float:
        cost = self.instance_seconds / HOUR * PRICE_PER_INSTANCE_HOUR
        return cost / self.images * 1000 if self.images else float("inf")


class Service:
    """The admission (queue and slots) and the fleet, on one SimPy clock."""

    def __init__(self, env: simpy.Environment, policy: str, args: argparse.Namespace, rng: random.Random):
        self.env, self.policy, self.args, self.rng = env, policy, args, rng
        self.outcome = Outcome()
        self.in_service = args.min_instances
        self.booting = 0
        self.capacity = live_capacity(args.min_instances, args.per_instance)
        self.leases: dict[int, float] = {}  # holder -> lease expiry, as the pool item holds them
        self.queue: deque[tuple[int, float, simpy.Event]] = deque()
        self.invocations = 0  # in the current minute
        self.last_scaling = -math.inf
        self.latency = sum(GENERATION_SECONDS) / 2
        self.scaling = BacklogScaling()

    # --- the admission ----------------------------------------------------------

    def turn(self, position: int) -> Turn:
        now = self.env.now
        return Turn(
            position=position,
            free_times=slot_free_times(self.leases, self.capacity, LEASE, self.latency, now),
            latency_seconds=self.latency,
            after_generation_seconds=AFTER_GENERATION,
            poll_seconds=POLL,
            now=now,
        )

    def request(self, holder: int) -> Iterator[simpy.Event]:
        arrived = self.env.now
        self.outcome.arrivals += 1
        admission = decide_on_arrival(self.turn(len(self.queue) + 1), arrived + RUN_BUDGET)
        if admission.decision == "busy":
            self.outcome.refused += 1
            return
        granted = self.env.event()
        self.queue.append((holder, arrived, granted))
        self.grant()
        taken = yield granted | self.env.timeout(RUN_BUDGET)
        if granted not in taken:  # still waiting when the run's budget ran out
            self.queue = deque(entry for entry in self.queue if entry[0] != holder)
            self.outcome.refused += 1
            return
        if not granted.value:  # its turn came too late for a generation: refused
            self.outcome.refused += 1
            return
        self.outcome.waits.append(self.env.now - arrived)
        seconds = self.rng.uniform(*GENERATION_SECONDS)
        yield self.env.timeout(seconds)
        self.outcome.generation_seconds += seconds
        self.invocations += 1
        self.latency = 0.7 * self.latency + 0.3 * seconds  # domain.admission.recent_latency
        del self.leases[holder]
        self.grant()

    def grant(self) -> None:
        """Slots to the first in line while fewer are held than the capacity; a run that
        can no longer fit a generation before its deadline is refused (decide_while_waiting)."""
        while self.queue and len(self.leases) < self.capacity:
            holder, arrived, granted = self.queue.popleft()
            if self.env.now + self.latency + AFTER_GENERATION > arrived + RUN_BUDGET:
                granted.succeed(False)
                continue
            self.leases[holder] = self.env.now + LEASE
            granted.succeed(True)

    # --- the fleet ----------------------------------------------------------------

    def launch(self, count: int) -> None:
        for _ in range(count):
            self.booting += 1
            self.env.process(self.boot())

    def boot(self) -> Iterator[simpy.Event]:
        yield self.env.timeout(self.rng.uniform(*BOOT_SECONDS))
        self.booting -= 1
        self.in_service += 1

    def controller(self) -> Iterator[simpy.Event]:
        """Every minute: bill the fleet, refresh the capacity (live policy) and apply the
        scaling policy, as Application Auto Scaling does on one-minute metrics."""
        while True:
            yield self.env.timeout(REFRESH_SECONDS)
            self.outcome.instance_seconds += (self.in_service + self.booting) * REFRESH_SECONDS
            self.outcome.serving_seconds += self.in_service * REFRESH_SECONDS
            if self.policy == "live":
                self.capacity = live_capacity(self.in_service, self.args.per_instance)
                runs = backlog(len(self.leases), len(self.queue))
                desired = self.scaling.desired_instances(
                    self.in_service, runs, self.args.min_instances, self.args.quota
                )
                out_cooldown = self.scaling.scale_out_cooldown_seconds
                in_cooldown = self.scaling.scale_in_cooldown_seconds
            else:
                per_instance = self.invocations / max(self.in_service, 1)
                desired = math.ceil(self.in_service * per_instance / INVOCATIONS_PER_INSTANCE_TARGET)
                desired = max(self.args.min_instances, min(self.args.quota, desired))
                out_cooldown, in_cooldown = 300, 300  # target tracking's defaults
            self.invocations = 0
            self.scale_to(desired, out_cooldown, in_cooldown)
            self.grant()

    def scale_to(self, desired: int, out_cooldown: float, in_cooldown: float) -> None:
        now, total = self.env.now, self.in_service + self.booting
        if desired > total and now - self.last_scaling >= out_cooldown:
            self.launch(desired - total)
            self.last_scaling = now
        elif desired < self.in_service and now - self.last_scaling >= in_cooldown:
            # Removed instances finish their generations: the capacity drops, the leases stay.
            self.in_service = desired
            self.last_scaling = now

    def arrivals(self, peak: float, hours: float) -> Iterator[simpy.Event]:
        holder = 0
        while self.env.now < hours * HOUR:
            yield self.env.timeout(self.rng.expovariate(arrival_rate(peak, self.env.now)))
            holder += 1
            self.env.process(self.request(holder))


def simulate(policy: str, peak: float, args: argparse.Namespace) -> Outcome:
    env = simpy.Environment()
    service = Service(env, policy, args, random.Random(args.seed))
    env.process(service.arrivals(peak, args.hours))
    env.process(service.controller())
    env.run(until=args.hours * HOUR + RUN_BUDGET)
    return service.outcome


def images_per_minute_at(instances: int, per_instance: int) -> float:
    return instances * per_instance * 60 / (sum(GENERATION_SECONDS) / 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peaks", default="10,100,1000", help="peak requests a minute, one run each")
    parser.add_argument("--hours", type=float, default=24.0, help="simulated time")
    parser.add_argument("--min-instances", type=int, default=1)
    parser.add_argument(
        "--quota", type=int, default=4, help="instances the account may run (Service Quotas, per type)"
    )
    parser.add_argument("--per-instance", type=int, default=1, help="generations one instance serves at once")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--chart", type=Path, default=Path("out/capacity-sim.png"))
    args = parser.parse_args(argv)
    peaks = [float(p) for p in args.peaks.split(",")]
    results = {
        (policy, peak): simulate(policy, peak, args) for policy in ("static", "live") for peak in peaks
    }
    print(
        f"{args.hours:.0f} h of sync requests (daily cycle from 10 % of the peak, "
        f"bursts x{BURST_FACTOR:.0f}), "
        f"min {args.min_instances} instance(s), quota {args.quota}, {args.per_instance} generation(s) each"
    )
    print(
        f"{'policy':>7} {'peak/min':>8} {'requests':>9} {'p95 wait s':>10} {'refused':>8} "
        f"{'GPU util':>8} {'$/1000 img':>10}"
    )
    for (policy, peak), o in results.items():
        print(
            f"{policy:>7} {peak:>8.0f} {o.arrivals:>9} {o.p95_wait():>10.1f} {o.refusal_rate():>8.1%} "
            f"{o.utilisation(args.per_instance):>8.1%} {o.cost_per_thousand():>10.2f}"
        )
    ceiling = images_per_minute_at(args.quota, args.per_instance)
    print(
        f"largest load the quota serves: {ceiling:.0f} images/min sustained "
        f"({args.quota} instances x {args.per_instance} at {sum(GENERATION_SECONDS) / 2:.0f} s an image); "
        "beyond it the admission refuses the excess with 503 Busy"
    )
    plot(results, peaks, args)
    print(f"chart: {args.chart}")
    return 0


def plot(results: dict[tuple[str, float], Outcome], peaks: list[float], args: argparse.Namespace) -> None:
    figure, axes = plt.subplots(2, 2, figsize=(10, 7))
    panels = [
        ("p95 wait for a slot", "seconds", lambda o: o.p95_wait()),
        ("refused (503 Busy)", "% of requests", lambda o: 100 * o.refusal_rate()),
        ("GPU utilisation", "% of in-service slot time", lambda o: 100 * o.utilisation(args.per_instance)),
        ("cost per 1,000 images", "US$", lambda o: o.cost_per_thousand()),
    ]
    labels = {
        "static": "static capacity, InvocationsPerInstance",
        "live": "live capacity, backlog per instance",
    }
    for ax, (title, unit, value) in zip(axes.flat, panels, strict=True):
        for policy, marker in (("static", "o"), ("live", "s")):
            ax.plot(peaks, [value(results[(policy, p)]) for p in peaks], marker=marker, label=labels[policy])
        ax.set_xscale("log")
        ax.set_xlabel("peak load (requests/min, log scale)")
        ax.set_ylabel(unit)
        ax.set_title(title)
        ax.grid(alpha=0.3)
    axes.flat[0].legend(fontsize=8)
    figure.suptitle(
        f"{args.hours:.0f} h simulated, min {args.min_instances}, quota {args.quota} x ml.g5.4xlarge"
    )
    save(figure, args.chart)


if __name__ == "__main__":
    raise SystemExit(main())
