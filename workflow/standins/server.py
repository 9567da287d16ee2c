"""One HTTP server that answers Comprehend, Rekognition, Translate, Bedrock Guardrails, KMS and SageMaker.

- `POST /` with `X-Amz-Target: Comprehend_20171127.<Operation>`,
  `RekognitionService.<Operation>`, `AWSShineFrontendService_20170701.TranslateText`,
  `TrentService.Sign|GetPublicKey` or
  `SageMaker.DescribeEndpoint` / `SageMaker.DescribeInferenceComponent` (AWS JSON 1.1);
- `POST /endpoints/<name>/invocations` (SageMaker runtime);
- `GET /_health`;
- `POST|GET|DELETE /_admin/faults` (fault injection, see `admin.py`);
- `POST|GET|DELETE /_admin/translations` (the Translate stand-in's known translations);
- `POST|GET /_admin/fleet` (the SDXL endpoint's instances in service).

Each call is logged in one line. Models load lazily, once per server.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import boto3
from pydantic import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from workflow.standins.celebrities import Celebrities, InjectedCelebrity
from workflow.standins.comprehend import Comprehend
from workflow.standins.entities import Entities, EntityModel
from workflow.standins.faults import (
    INTERNAL_ERRORS,
    THROTTLE_ERRORS,
    UNAVAILABLE_ERRORS,
    Fault,
    FaultBook,
    FaultRequest,
)
from workflow.standins.generator import ImageGenerator
from workflow.standins.guardrail import GuardrailStandIn
from workflow.standins.image_models import NsfwModel, NudityDetector
from workflow.standins.kms import KmsSigningKey
from workflow.standins.rekognition import Rekognition
from workflow.standins.sagemaker import SdxlEndpointStandIn
from workflow.standins.text_models import LanguageModel, ToxicityModel
from workflow.standins.translate import InstalledTranslation, Translate
from workflow.standins.wire import AwsError, aws_json_response, parse_json

logger = logging.getLogger("standins")

# Rekognition's 5 MB of Bytes arrive base64-encoded in JSON: about 6.7 MB.
MAX_REQUEST_BYTES = 8 * 1024 * 1024

OPERATIONS = {
    "Comprehend_20171127.DetectToxicContent": ("comprehend", "detect_toxic_content"),
    "Comprehend_20171127.DetectDominantLanguage": ("comprehend", "detect_dominant_language"),
    "Comprehend_20171127.DetectEntities": ("comprehend", "detect_entities"),
    "RekognitionService.DetectModerationLabels": ("rekognition", "detect_moderation_labels"),
    "RekognitionService.RecognizeCelebrities": ("rekognition", "recognize_celebrities"),
    "AWSShineFrontendService_20170701.TranslateText": ("translate", "translate_text"),
    "SageMaker.DescribeEndpoint": ("sagemaker", "describe_endpoint"),
    "SageMaker.DescribeInferenceComponent": ("sagemaker", "describe_inference_component"),
    "TrentService.Sign": ("kms", "sign"),
    "TrentService.GetPublicKey": ("kms", "get_public_key"),
}
# Bedrock Runtime is REST-JSON: ApplyGuardrail is POST /guardrail/{id}/version/{version}/apply.


class StandinApp:
    """The WSGI application: routing, faults, AWS error shapes and the call log."""

    def __init__(self, s3_endpoint_url: str | None = None, region: str = "us-east-1") -> None:
        # The stand-ins only ever read the local S3, which accepts any key.
        credentials = {}
        if s3_endpoint_url:
            credentials = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
        s3 = boto3.client("s3", endpoint_url=s3_endpoint_url, region_name=region, **credentials)
        self.faults = FaultBook()
        self.comprehend = Comprehend(ToxicityModel(), LanguageModel())
        self.rekognition = Rekognition(NsfwModel(), NudityDetector(), s3)
        self.celebrities = Celebrities(self.rekognition)
        self.entities = Entities(EntityModel())
        self.sagemaker = SdxlEndpointStandIn(ImageGenerator())
        # Translate detects `auto` source languages with Comprehend, as AWS's does.
        self.translate = Translate(self.comprehend.language)
        self.guardrail = GuardrailStandIn(self.comprehend.toxicity, self.rekognition)
        self.kms = KmsSigningKey()
        # The latest calls, for `make bench`; bounded so a long `make local` does not grow.
        self.calls: deque[dict[str, Any]] = deque(maxlen=10_000)
        self._routes = Map(
            [
                Rule("/", methods=["POST"], endpoint="aws_json"),
                Rule("/endpoints/<name>/invocations", methods=["POST"], endpoint="invocations"),
                Rule(
                    "/guardrail/<identifier>/version/<version>/apply",
                    methods=["POST"],
                    endpoint="apply_guardrail",
                ),
                Rule("/_health", methods=["GET"], endpoint="health"),
                Rule("/_admin/faults", methods=["GET", "POST", "DELETE"], endpoint="faults"),
                Rule("/_admin/translations", methods=["GET", "POST", "DELETE"], endpoint="translations"),
                Rule("/_admin/fleet", methods=["GET", "POST"], endpoint="fleet"),
            ]
        )

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        request.max_content_length = MAX_REQUEST_BYTES
        started = time.perf_counter()
        operation = request.headers.get("X-Amz-Target") or request.path
        try:
            adapter = self._routes.bind_to_environ(environ)
            endpoint, arguments = adapter.match()
            response = getattr(self, f"_{endpoint}")(request, **arguments)
        except AwsError as error:
            response = error.response(self._error_content_type(request))
        except RequestEntityTooLarge:
            response = AwsError(
                "ValidationError", f"Request body over {MAX_REQUEST_BYTES} bytes.", 413
            ).response()
        except Exception as error:  # the werkzeug HTTPExceptions of routing, and defects
            status = getattr(error, "code", 500) or 500
            if status == 500:
                logger.exception("stand-in defect on %s", operation)
            response = AwsError(
                "InternalFailure" if status == 500 else "UnknownOperationException", str(error), status
            ).response()
        elapsed_ms = (time.perf_counter() - started) * 1000
        if not request.path.startswith("/_"):
            self.calls.append({"operation": operation, "status": response.status_code, "ms": elapsed_ms})
            logger.info("%s %s %d %.1f ms", request.method, operation, response.status_code, elapsed_ms)
        return response(environ, start_response)

    @staticmethod
    def _error_content_type(request: Request) -> str:
        rest_json = request.path.startswith(("/endpoints/", "/guardrail/"))
        return "application/json" if rest_json else "application/x-amz-json-1.1"

    def _apply_fault(self, service: str, operation: str | None = None) -> Fault | None:
        """Raise or delay as an injected fault says; the fault when it flags the image,
        names a celebrity or makes the guardrail intervene."""
        fault = self.faults.take(service, operation)
        if fault is None:
            return None
        if fault.kind == "slow":
            time.sleep(fault.delay_seconds)
        self._raise_fault(service, fault)
        return fault if fault.kind in ("flag", "celebrity", "intervene") else None

    @staticmethod
    def _raise_fault(service: str, fault: Fault) -> None:
        if fault.kind == "throttle":
            raise THROTTLE_ERRORS[service]
        if fault.kind == "error":
            raise INTERNAL_ERRORS[service]
        if fault.kind == "unavailable":
            raise UNAVAILABLE_ERRORS[service]

    def _aws_json(self, request: Request) -> Response:
        target = request.headers.get("X-Amz-Target", "")
        if target not in OPERATIONS:
            raise AwsError("UnknownOperationException", f"Unknown operation {target!r}.")
        service, method = OPERATIONS[target]
        body = parse_json(request.get_data())
        if service == "sagemaker":  # the control plane: faults are for the runtime's invocations
            return aws_json_response(getattr(self.sagemaker, method)(body))
        if method == "get_public_key":  # setup, not a call the workflow makes: no faults
            return aws_json_response(self.kms.get_public_key(body))
        flag = self._apply_fault(service, target.rpartition(".")[2])
        if service == "kms":
            return aws_json_response(self.kms.sign(body))
        if method == "recognize_celebrities":
            injected = [InjectedCelebrity(flag.name, flag.match_confidence)] if flag else []
            return aws_json_response(self.celebrities.recognize_celebrities(body, injected))
        if service == "rekognition":
            injected = {flag.label: flag.confidence} if flag else None
            return aws_json_response(self.rekognition.detect_moderation_labels(body, injected=injected))
        if service == "translate":
            return aws_json_response(self.translate.translate_text(body))
        if method == "detect_entities":
            return aws_json_response(self.entities.detect_entities(body))
        return aws_json_response(getattr(self.comprehend, method)(body))

    def _invocations(self, request: Request, name: str) -> Response:
        raw = request.get_data()
        fault = self.faults.take("sagemaker", "InvokeEndpoint")
        delay = 0.0
        if fault is not None and fault.kind == "slow":
            delay = fault.delay_seconds  # spent on an instance of the fleet, not before reaching one
        elif fault is not None:
            self._raise_fault("sagemaker", fault)
        result = self.sagemaker.invoke(
            name,
            raw,
            request.content_type or "",
            delay_seconds=delay,
            inference_component=request.headers.get("X-Amzn-SageMaker-Inference-Component", ""),
        )
        return aws_json_response(result, content_type="application/json")

    def _apply_guardrail(self, request: Request, identifier: str, version: str) -> Response:
        body = parse_json(request.get_data(), code="ValidationException")
        fault = self._apply_fault("bedrock", "ApplyGuardrail")
        injected = fault.filter_type if fault else None
        return aws_json_response(
            self.guardrail.apply_guardrail(body, injected=injected), content_type="application/json"
        )

    def _health(self, request: Request) -> Response:
        return aws_json_response({"status": "ok", "image_model": self.sagemaker.generator.description})

    def _faults(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.faults.clear()
        elif request.method == "POST":
            try:
                self.faults.add(FaultRequest.model_validate(parse_json(request.get_data())))
            except ValidationError as error:
                raise AwsError("InvalidParameterException", str(error)) from None
        return aws_json_response(self.faults.pending(), content_type="application/json")

    def _fleet(self, request: Request) -> Response:
        """The SDXL endpoint's instances in service; POST {"instances": n} scales it."""
        if request.method == "POST":
            instances = parse_json(request.get_data()).get("instances")
            if isinstance(instances, bool) or not isinstance(instances, int) or not 0 <= instances <= 64:
                raise AwsError("InvalidParameterException", "instances must be a whole number from 0 to 64")
            self.sagemaker.fleet.resize(instances)
        return aws_json_response(
            {"instances": self.sagemaker.fleet.instances}, content_type="application/json"
        )

    def _translations(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.translate.book.clear()
        elif request.method == "POST":
            try:
                self.translate.book.add(InstalledTranslation.model_validate(parse_json(request.get_data())))
            except ValidationError as error:
                raise AwsError("InvalidParameterException", str(error)) from None
        return aws_json_response(self.translate.book.listed(), content_type="application/json")

    def warm_up(self) -> None:
        """Load every model now instead of on the first call."""
        self.comprehend.toxicity.score(["warm up"])
        self.comprehend.language.detect("warm up the language model")
        self.translate.warm_up()
        self.entities.model.warm_up()
        self.rekognition.nsfw.warm_up()
        self.rekognition.nudity.warm_up()
        self.sagemaker.generator.warm_up()


class StandinServer:
    """The stand-ins on host:port (0 picks a free port), in a background thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, s3_endpoint_url: str | None = None) -> None:
        self.app = StandinApp(s3_endpoint_url=s3_endpoint_url)
        self._host = host
        self._port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the stand-in server is not running")
        return f"http://{self._host}:{self._server.server_port}"

    def start(self) -> StandinServer:
        self._server = make_server(self._host, self._port, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="standins", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> StandinServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
