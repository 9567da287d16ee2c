"""`python -m workflow local` (make local): the whole system on 127.0.0.1 until Ctrl-C.

moto (S3, Step Functions executing the ASL), the stand-ins (Comprehend,
Rekognition, the SDXL endpoint), the local API and the page on the API's origin.
"""

from __future__ import annotations

import argparse
import signal
import threading
from types import FrameType

from workflow.local.api import INTEGRATION_TIMEOUT_SECONDS, ApiServer, LocalApi
from workflow.local.auth import TEST_PASSWORD, TEST_USER, LocalSignIn
from workflow.local.backend import LocalBackend
from workflow.local.console import console_environment


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m workflow local", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="where the API and the page listen")
    parser.add_argument("--port", type=int, default=8080, help="the API and the page (0: any free port)")
    parser.add_argument("--moto-port", type=int, default=0, help="moto's server (0: any free port)")
    parser.add_argument("--standins-port", type=int, default=0, help="the stand-ins (0: any free port)")
    parser.add_argument(
        "--timeout",
        type=float,
        default=INTEGRATION_TIMEOUT_SECONDS,
        help="seconds POST /api/generate waits before answering 504, as API Gateway's integration timeout",
    )
    parser.add_argument(
        "--auth",
        choices=["none", "cognito"],
        default="none",
        help="cognito: sign-in against moto's Cognito, as -c apiAuth=cognito deploys it",
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_arguments(argv)
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    with console_environment(moto_port=args.moto_port, standins_port=args.standins_port) as env:
        sign_in = LocalSignIn.create(env.cognito, env.moto_url) if args.auth == "cognito" else None
        api = LocalApi(
            LocalBackend(env),
            timeout=args.timeout,
            authenticate=sign_in.verify if sign_in else None,
            page_config=sign_in.page_config() if sign_in else None,
        )
        server = ApiServer(api, host=args.host, port=args.port)
        server.start()
        try:
            print(f"moto (S3, Step Functions): {env.moto_url}", flush=True)
            print(f"stand-ins:                 {env.standins_url}", flush=True)
            print(f"local API:                 {server.url}/api", flush=True)
            print(f"frontend:                  {server.url}/", flush=True)
            print(f"executions:                {server.url}/executions.html", flush=True)
            if sign_in is not None:
                print(f"sign in as:                {TEST_USER} / {TEST_PASSWORD}", flush=True)
            print("Ready. Press Ctrl-C to stop.", flush=True)
            stop.wait()
        finally:
            print("Stopping...", flush=True)
            server.stop()
    print("Stopped.", flush=True)
    return 0
