"""The SDXL endpoint's fleet as SageMaker reports it: how many instances serve now.

An endpoint with instances reports each production variant's `CurrentInstanceCount`
(`DescribeEndpoint`); one that hosts SDXL as an inference component (scale to zero)
reports the component's `CurrentCopyCount` (`DescribeInferenceComponent`), one copy per
instance. Only instances in service count: one still booting serves nothing.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from text2image.adapters.errors import translate
from text2image.errors import EndpointThrottled, EndpointUnavailable


class EndpointFleet:
    def __init__(self, client: Any, endpoint_name: str, inference_component_name: str = "") -> None:
        self._client = client
        self._endpoint_name = endpoint_name
        self._component = inference_component_name

    def instances_in_service(self) -> int:
        try:
            if self._component:
                described = self._client.describe_inference_component(InferenceComponentName=self._component)
                return int(described.get("RuntimeConfig", {}).get("CurrentCopyCount", 0))
            described = self._client.describe_endpoint(EndpointName=self._endpoint_name)
        except (ClientError, BotoCoreError) as error:
            raise translate(
                error,
                throttled=EndpointThrottled,
                unavailable=EndpointUnavailable,
                permanent=EndpointUnavailable,
                message="The endpoint's instances could not be read",
            ) from None
        if described.get("EndpointStatus") not in ("InService", "Updating", "SystemUpdating"):
            return 0  # Creating, Failed, Deleting...: nothing serves
        variants = described.get("ProductionVariants", [])
        return sum(int(variant.get("CurrentInstanceCount", 0)) for variant in variants)
