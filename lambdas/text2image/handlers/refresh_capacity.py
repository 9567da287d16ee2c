"""RefreshGenerationCapacity: every minute, the admission's capacity follows the instances
in service, and the backlog per instance the endpoint scales on is published.

Run on a schedule (EventBridge in the cloud, a timer locally), not by the workflow:
it reads the fleet (`DescribeEndpoint`, or `DescribeInferenceComponent` for an
endpoint that scales to zero), writes the capacity on the semaphore's item, and
publishes `BacklogPerInstance` and `HasBacklogWithoutCapacity` from the pool as it is
then. A scale-in never takes a slot away: runs holding one finish, and the item's
condition grants no new slot until fewer hold one than the new capacity.
"""

from __future__ import annotations

import time
from typing import Any

import boto3
from aws_lambda_powertools import single_metric
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from aws_lambda_powertools.utilities.typing import LambdaContext

from text2image.adapters.dynamodb import SlotTable
from text2image.adapters.errors import SERVICE_CLIENT_CONFIG
from text2image.adapters.fleet import EndpointFleet
from text2image.config import CapacityConfig
from text2image.domain.admission import WaiterLives
from text2image.domain.capacity import (
    BACKLOG_PER_INSTANCE_METRIC,
    BACKLOG_WITHOUT_CAPACITY_METRIC,
    GENERATION_CAPACITY_METRIC,
    INSTANCES_IN_SERVICE_METRIC,
    POOL_DIMENSION,
    backlog,
    backlog_per_instance,
    has_backlog_without_capacity,
    live_capacity,
)
from text2image.domain.jobs import JOB_RUNS
from text2image.models import CapacityRefreshed
from text2image.observability import NAMESPACE, SERVICE, logger, observed_handler

config = CapacityConfig.from_env()
slots = SlotTable(boto3.client("dynamodb", config=SERVICE_CLIENT_CONFIG), config.table, config.pool)
fleet = EndpointFleet(
    boto3.client("sagemaker", config=SERVICE_CLIENT_CONFIG), config.pool, config.inference_component_name
)
lives = WaiterLives(
    run_seconds=config.run_budget_seconds, job_seconds=JOB_RUNS * config.job_run_budget_seconds
)


def publish(values: dict[str, float]) -> None:
    """One EMF document per metric, each with the pool (the endpoint) as a dimension, which the
    scaling policy and the alarm name exactly."""
    if is_metrics_disabled():  # single_metric writes its document even when metrics are disabled
        return
    for name, value in values.items():
        with single_metric(
            name=name,
            unit=MetricUnit.Count,
            value=value,
            namespace=NAMESPACE,
            default_dimensions={"service": SERVICE, POOL_DIMENSION: config.pool},
        ):
            pass


@observed_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    instances = fleet.instances_in_service()
    capacity = live_capacity(instances, config.generations_per_instance)
    pool = slots.set_capacity(capacity, instances)
    now = time.time()
    runs = backlog(pool.generating(now), pool.queue_depth(lives, now))
    per_instance = backlog_per_instance(runs, instances)
    publish(
        {
            BACKLOG_PER_INSTANCE_METRIC: per_instance,
            BACKLOG_WITHOUT_CAPACITY_METRIC: has_backlog_without_capacity(runs, instances),
            INSTANCES_IN_SERVICE_METRIC: instances,
            GENERATION_CAPACITY_METRIC: capacity,
        }
    )
    logger.info(
        "capacity refreshed",
        extra={"instances_in_service": instances, "capacity": capacity, "backlog": runs},
    )
    return CapacityRefreshed(
        instances_in_service=instances,
        capacity=capacity,
        backlog=runs,
        backlog_per_instance=round(per_instance, 3),
    ).model_dump()
