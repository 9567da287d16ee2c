"""The local API: the deployed API's routes and answers, plus execution inspection.

API Gateway validates a request body against the request model, starts the
Express execution synchronously and maps how it ended to an HTTP answer.
Here the same JSON schema and the same outcome table (`text2image.contract`)
do that; `POST /api/check-toxicity` goes to the same Lambda handler through a
real API Gateway REST proxy event. The page in `frontend/` is served on the
same origin, so it calls `/api/...` exactly as it does behind CloudFront.

The inspection routes (`GET /api/executions[/<id>]`, and `GET /api/workflow.svg`,
the diagram a run's path is drawn on) are local only: they are the Step Functions
console's execution view, read from moto's history.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError as SchemaError
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.utils import send_from_directory
from werkzeug.wrappers import Request, Response

from repo_paths import FRONTEND_DIR, OPENAPI_FILE, WORKFLOW_SVG
from text2image.contract import (
    CHECK_TOXICITY_REQUEST_SCHEMA,
    GENERATE_REQUEST_SCHEMA,
    JOB_REQUEST_SCHEMA,
    MAX_VERIFY_IMAGE_BYTES,
    UNAUTHORIZED_BODY,
    VERIFY_MEDIA_TYPES,
    execution_input,
    invalid_request_body,
    response_headers,
)
from text2image.domain.idempotency import IDEMPOTENCY_HEADER
from text2image.domain.quota import caller_of
from workflow.local.backend import ApiBackend

# API Gateway's default integration timeout; the state machine's own is 28 s.
INTEGRATION_TIMEOUT_SECONDS = 29.0
# API Gateway refuses payloads above 10 MB; a valid request is a few KB.
MAX_BODY_BYTES = 1_000_000
CHECK_TOXICITY_FUNCTION = "CheckToxicityApi"
JOBS_FUNCTION = "JobsApi"
VERIFY_FUNCTION = "VerifyApi"
# The deployed API's stage is named "api", so the page reaches it under /api on
# its own origin; the proxy event's `path` and `resource` exclude the stage.
API_STAGE = "api"
# The routes the Cognito authorizer guards in the cloud (every product route).
SIGNED_IN_ROUTES = frozenset({"generate", "check_toxicity", "submit_job", "job"})
_EXECUTION_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


# --- request validation: the request models of API Gateway ---------------------


def _schema_message(error: SchemaError) -> str:
    field = ".".join(str(part) for part in error.absolute_path)
    if error.validator in {"pattern", "minLength"} and field in {"prompt", ""}:
        return "prompt: the prompt must contain some text, not only spaces"
    if error.validator == "enum":
        return f"{field}: must be one of {', '.join(map(str, error.validator_value))}"
    return f"{field}: {error.message}" if field else error.message


def validate_body(raw: bytes, schema: Mapping[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """(the parsed body, None) or (None, why it is refused), as a request model would."""
    try:
        body = json.loads(raw or b"null")
    except ValueError:
        return None, "the body is not valid JSON"
    except RecursionError:
        return None, "the body is nested too deeply"
    errors = sorted(Draft4Validator(schema).iter_errors(body), key=lambda error: list(error.absolute_path))
    if errors:
        return None, "; ".join(_schema_message(error) for error in errors[:3])
    return body, None


# --- API Gateway's proxy event ----------------------------------------------------


def proxy_event(request: Request, resource: str) -> dict[str, Any]:
    """The REST API (v1) proxy event API Gateway builds for a request to stage `API_STAGE`."""
    raw = request.get_data(cache=True)
    try:
        body: str | None = raw.decode("utf-8") if raw else None
        encoded = False
    except UnicodeDecodeError:
        body, encoded = base64.b64encode(raw).decode("ascii"), True
    query = request.args
    now = datetime.now(UTC)
    path = request.path.removeprefix(f"/{API_STAGE}")
    return {
        "resource": resource,
        "path": path,
        "httpMethod": request.method,
        "headers": dict(request.headers.items()),
        # werkzeug's Headers iterate as (name, value) pairs.
        "multiValueHeaders": {name: request.headers.getlist(name) for name, _ in request.headers.items()},
        "queryStringParameters": {name: query[name] for name in query} or None,
        "multiValueQueryStringParameters": {name: query.getlist(name) for name in query} or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "resourceId": "local",
            "resourcePath": resource,
            "httpMethod": request.method,
            "path": request.path,
            "stage": API_STAGE,
            "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "requestId": str(uuid.uuid4()),
            "extendedRequestId": str(uuid.uuid4()),
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "identity": {
                "sourceIp": request.remote_addr or "127.0.0.1",
                "userAgent": request.user_agent.string,
            },
        },
        "body": body,
        "isBase64Encoded": encoded,
    }


def proxy_response(answer: Mapping[str, Any]) -> Response:
    body = answer.get("body") or ""
    data = base64.b64decode(body) if answer.get("isBase64Encoded") else body.encode("utf-8")
    response = Response(data, status=int(answer.get("statusCode", 502)))
    response.headers.pop("Content-Type", None)
    for name, value in (answer.get("headers") or {}).items():
        response.headers[name] = str(value)
    for name, values in (answer.get("multiValueHeaders") or {}).items():
        if name not in (answer.get("headers") or {}):
            for value in values:
                response.headers.add(name, str(value))
    response.headers.setdefault("Content-Type", "application/json")
    return response


# --- the WSGI application --------------------------------------------------------------


def idempotency_key(request: Request) -> str | None:
    """The key as the deployed template reads it: `$input.params('Idempotency-Key')`
    looks in the query string, then the headers (case-insensitive here)."""
    return request.args.get(IDEMPOTENCY_HEADER) or request.headers.get(IDEMPOTENCY_HEADER)


def api_json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, default=str), status=status, mimetype="application/json", headers=dict(headers or {})
    )


def outcome_response(status: int, body: dict[str, Any]) -> Response:
    """An ended run's answer with the headers the outcome table gives it (Retry-After)."""
    return api_json_response(status, body, response_headers(status, body))


class LocalApi:
    """A WSGI app: `/api/...` as the deployed API answers it, and the page."""

    def __init__(
        self,
        backend: ApiBackend,
        frontend_dir: Path = FRONTEND_DIR,
        timeout: float = INTEGRATION_TIMEOUT_SECONDS,
        authenticate: Callable[[Mapping[str, str]], dict[str, Any]] | None = None,
        page_config: Mapping[str, str] | None = None,
    ) -> None:
        self.backend = backend
        # Sign-in (make local AUTH=cognito): the claims of the request's token, or an
        # exception for a missing, expired or forged one, as the Cognito authorizer decides.
        self.authenticate = authenticate
        self.page_config = dict(page_config or {"auth": "none"})
        self.frontend_dir = frontend_dir
        self.timeout = timeout
        self.url_map = Map(
            [
                Rule("/auth-config.json", endpoint="auth_config", methods=["GET"]),
                Rule("/api/generate", endpoint="generate", methods=["POST"]),
                Rule("/api/check-toxicity", endpoint="check_toxicity", methods=["POST"]),
                Rule("/api/jobs", endpoint="submit_job", methods=["POST"]),
                Rule("/api/verify", endpoint="verify", methods=["POST"]),
                Rule("/api/verify/uploads", endpoint="verify_upload", methods=["POST"]),
                Rule("/api/jobs/<job_id>", endpoint="job", methods=["GET"]),
                Rule("/api/executions", endpoint="executions", methods=["GET"]),
                Rule("/api/executions/<execution_id>", endpoint="execution", methods=["GET"]),
                Rule("/api/_local", endpoint="local_info", methods=["GET"]),
                Rule("/api/local-info", endpoint="image_model", methods=["GET"]),
                Rule("/api/openapi.json", endpoint="openapi", methods=["GET"]),
                Rule("/api/workflow.svg", endpoint="workflow_diagram", methods=["GET"]),
                Rule("/api/<path:rest>", endpoint="api_not_found"),
                Rule("/", endpoint="index", methods=["GET"]),
                Rule("/<path:path>", endpoint="static", methods=["GET"]),
            ],
            strict_slashes=False,
        )
        self._views: dict[str, Callable[..., Response]] = {
            "auth_config": lambda request: api_json_response(200, self.page_config),
            "generate": self.generate,
            "check_toxicity": self.check_toxicity,
            "submit_job": self.submit_job,
            "verify": self.verify,
            "verify_upload": self.verify_upload,
            "job": self.job,
            "executions": self.executions,
            "execution": self.execution,
            "local_info": self.local_info,
            "image_model": self.image_model,
            "openapi": self.openapi,
            "workflow_diagram": self.workflow_diagram,
            "api_not_found": self.api_not_found,
            "static": self.static,
            "index": lambda request: self.static(request, "index.html"),
        }

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        try:
            endpoint, arguments = self.url_map.bind_to_environ(environ).match()
            refusal = self._sign_in_refusal(request, endpoint)
            response = refusal or self._views[endpoint](request, **arguments)
        except HTTPException as error:
            if request.path.startswith("/api/"):
                response = api_json_response(error.code or 500, {"message": error.description})
            else:
                response = error.get_response(environ)  # type: ignore[assignment]
        except Exception:  # a defect here must still answer like a gateway, not hang up
            response = api_json_response(500, {"message": "Internal server error"})
        return response(environ, start_response)

    def _sign_in_refusal(self, request: Request, endpoint: str) -> Response | None:
        """401 for a signed-in route without a valid token; the claims are kept for the caller."""
        request.environ["text2image.claims"] = None
        if self.authenticate is None or endpoint not in SIGNED_IN_ROUTES:
            return None
        try:
            request.environ["text2image.claims"] = self.authenticate(request.headers)
        except Exception:  # missing, expired, forged: API Gateway answers all of them alike
            return api_json_response(401, UNAUTHORIZED_BODY)
        return None

    @staticmethod
    def _request_context(request: Request) -> dict[str, Any]:
        claims = request.environ.get("text2image.claims")
        return {"authorizer": {"claims": claims}} if claims else {}

    def _body(self, request: Request) -> bytes | None:
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return None
        return request.get_data(cache=True)

    def _validated(self, request: Request, schema: dict[str, Any]) -> dict[str, Any] | Response:
        """The body, checked as API Gateway's request model checks it, or the refusal."""
        raw = self._body(request)
        if raw is None:
            return api_json_response(413, {"message": "Request too long"})
        body, reason = validate_body(raw, schema)
        if body is None:
            return api_json_response(400, invalid_request_body(reason or "the body is not valid"))
        return body

    def generate(self, request: Request) -> Response:
        body = self._validated(request, GENERATE_REQUEST_SCHEMA)
        if isinstance(body, Response):
            return body
        run_input = execution_input(body, idempotency_key(request), caller_of(self._request_context(request)))
        return outcome_response(*self.backend.generate(run_input, self.timeout))

    def _validated_proxy(
        self, request: Request, schema: dict[str, Any], resource: str, function: str
    ) -> Response:
        """A route with a request model in front of a Lambda proxy integration."""
        refusal = self._validated(request, schema)
        if isinstance(refusal, Response):
            return refusal
        return proxy_response(self.backend.invoke_function(function, self._proxy_event(request, resource)))

    def _proxy_event(self, request: Request, resource: str) -> dict[str, Any]:
        event = proxy_event(request, resource=resource)
        event["requestContext"].update(self._request_context(request))
        return event

    def check_toxicity(self, request: Request) -> Response:
        return self._validated_proxy(
            request, CHECK_TOXICITY_REQUEST_SCHEMA, "/check-toxicity", CHECK_TOXICITY_FUNCTION
        )

    def submit_job(self, request: Request) -> Response:
        return self._validated_proxy(request, JOB_REQUEST_SCHEMA, "/jobs", JOBS_FUNCTION)

    def verify(self, request: Request) -> Response:
        """An image's bytes, passed base64-encoded as API Gateway passes a binary media type;
        any other body (an upload's id as JSON) as text."""
        if (request.content_length or 0) > MAX_VERIFY_IMAGE_BYTES + 1024:
            return api_json_response(413, {"message": "Request too long"})
        event = proxy_event(request, resource="/verify")
        if (request.mimetype or "").lower() in VERIFY_MEDIA_TYPES:
            raw = request.get_data(cache=True)
            event |= {"body": base64.b64encode(raw).decode("ascii"), "isBase64Encoded": True}
        return proxy_response(self.backend.invoke_function(VERIFY_FUNCTION, event))

    def verify_upload(self, request: Request) -> Response:
        """A presigned POST form for an image too large for the body of POST /verify. Its URL is
        moto's S3 server, which takes the browser's form (and answers CORS) as S3 does, but does
        not check the form's policy: a file over 10 MB or of another type is refused when it is
        verified, not when it is uploaded."""
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return api_json_response(413, {"message": "Request too long"})
        event = proxy_event(request, resource="/verify/uploads")
        return proxy_response(self.backend.invoke_function(VERIFY_FUNCTION, event))

    def job(self, request: Request, job_id: str) -> Response:
        event = self._proxy_event(request, "/jobs/{job_id}") | {"pathParameters": {"job_id": job_id}}
        return proxy_response(self.backend.invoke_function(JOBS_FUNCTION, event))

    def executions(self, request: Request) -> Response:
        try:
            limit = min(max(int(request.args.get("limit", "50")), 1), 1000)
        except ValueError:
            return api_json_response(400, {"message": "limit must be a whole number"})
        listed = self.backend.executions(limit)
        return api_json_response(200, {"executions": [item.model_dump(mode="json") for item in listed]})

    def execution(self, request: Request, execution_id: str) -> Response:
        detail = self.backend.execution(execution_id) if _EXECUTION_ID.match(execution_id) else None
        if detail is None:
            return api_json_response(404, {"message": f"No execution {execution_id!r}"})
        return api_json_response(200, detail.model_dump(mode="json"))

    def local_info(self, request: Request) -> Response:
        return api_json_response(200, self.backend.local_info())

    def image_model(self, request: Request) -> Response:
        # Local only: what the page shows beside a local image (the untrained model's notice).
        return api_json_response(200, self.backend.image_model())

    def openapi(self, request: Request) -> Response:
        # Local only, like /api/executions: the checked-in document (a test keeps it current).
        return Response(OPENAPI_FILE.read_bytes(), 200, content_type="application/json")

    def workflow_diagram(self, request: Request) -> Response:
        # Local only: the diagram `make diagram` draws from the ASL, on which the executions
        # page highlights a run's path (a test keeps it current).
        response = Response(WORKFLOW_SVG.read_bytes(), 200, content_type="image/svg+xml")
        response.headers["Cache-Control"] = "no-cache"
        return response

    def api_not_found(self, request: Request, rest: str) -> Response:
        # API Gateway's answer to a route it does not have.
        return api_json_response(403, {"message": "Missing Authentication Token"})

    def static(self, request: Request, path: str) -> Response:
        if path.endswith("/"):
            path += "index.html"
        try:
            response = send_from_directory(self.frontend_dir, path, request.environ)
        except NotFound:
            if "." not in path.rsplit("/", 1)[-1]:
                response = send_from_directory(self.frontend_dir, f"{path}.html", request.environ)
            else:
                raise
        response.headers["Cache-Control"] = "no-cache"
        return response


class ApiServer:
    """The local API on a thread of its own: one thread per request, as a gateway serves many."""

    def __init__(self, app: LocalApi, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True)
        self.url = f"http://{host}:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-api", daemon=True)

    def start(self) -> ApiServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
