"""How many generations the endpoint serves now, and the signal that scales it.

The admission's capacity follows the fleet: the instances in service times what
each serves at once. The endpoint is scaled on the backlog per instance (runs
generating or waiting for a slot, divided by the instances in service), as
SageMaker recommends for queued inference with `ApproximateBacklogSizePerInstance`
(whose backlog also counts the requests being processed): the
number of invocations per instance cannot exceed what the admission lets
through, so it cannot tell a busy endpoint from one refusing half its callers;
the backlog can. Pure Python: the same functions serve the scheduled refresh, the
CDK stack's scaling policy and the capacity simulation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

BACKLOG_PER_INSTANCE_METRIC = "BacklogPerInstance"
# 1 while runs wait and no instance serves: the alarm that starts the first one.
BACKLOG_WITHOUT_CAPACITY_METRIC = "HasBacklogWithoutCapacity"
INSTANCES_IN_SERVICE_METRIC = "InstancesInService"
GENERATION_CAPACITY_METRIC = "GenerationCapacity"
# The dimension that keeps two stacks' (two endpoints') figures apart.
POOL_DIMENSION = "pool"
# How often the capacity is refreshed and the backlog published (an EventBridge schedule).
REFRESH_SECONDS = 60


def live_capacity(instances_in_service: int, generations_per_instance: int) -> int:
    """Generations admitted at once. With no instance in service, one instance's worth:
    the run reaches the endpoint, which refuses it for lack of capacity (answered 503
    `EndpointStarting`), and that refusal is what starts the first instance."""
    return max(instances_in_service, 1) * generations_per_instance


def backlog(generating: int, waiting: int) -> int:
    """The runs the endpoint has to serve: those holding a slot and those waiting for one.
    Counting the running ones keeps a fully busy endpoint with an empty queue from
    looking idle and being scaled in."""
    return generating + waiting


def backlog_per_instance(backlog: int, instances_in_service: int) -> float:
    """The backlog per instance in service; with none in service, the whole backlog."""
    return backlog / instances_in_service if instances_in_service > 0 else float(backlog)


def has_backlog_without_capacity(backlog: int, instances_in_service: int) -> int:
    return int(backlog > 0 and instances_in_service == 0)


@dataclass(frozen=True)
class BacklogScaling:
    """The endpoint's scaling policy: target tracking on the backlog per instance, and a
    step from zero. Read by the CDK stack and by the capacity simulation."""

    # Runs per instance to hold: one generating and one waiting. Not more: the admission
    # refuses sync runs whose turn cannot come within 28 s, so an overloaded instance holds
    # only about three (one generating, two waiting); a higher target would never be
    # exceeded by sync traffic (`make capacity-sim` shows it).
    target_backlog_per_instance: float = 2.0
    # Out quickly (an instance takes minutes to boot), in slowly: a burst that drains
    # the queue must not give back an instance the next burst needs.
    scale_out_cooldown_seconds: int = 120
    scale_in_cooldown_seconds: int = 900

    def desired_instances(self, current: int, backlog: int, min_instances: int, max_instances: int) -> int:
        """What target tracking asks for: the instances that bring the metric to its target
        (Application Auto Scaling's rule, current x metric / target, rounded up), within the
        bounds; never fewer than one while runs wait."""
        if current == 0:
            wanted = 1 if backlog > 0 else 0
        else:
            metric = backlog_per_instance(backlog, current)
            wanted = math.ceil(current * metric / self.target_backlog_per_instance)
        return max(min_instances, min(max_instances, wanted))
