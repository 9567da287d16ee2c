"""`python -m workflow.standins --port 8081 [--s3-endpoint-url URL] [--warm]`"""

from __future__ import annotations

import argparse
import logging
import signal
import threading

from workflow.standins.server import StandinServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workflow.standins", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--s3-endpoint-url", default=None, help="where S3Object images are read (moto)")
    parser.add_argument("--warm", action="store_true", help="load the models before serving")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    server = StandinServer(args.host, args.port, s3_endpoint_url=args.s3_endpoint_url)
    if args.warm:
        server.app.warm_up()
    server.start()
    print(
        f"stand-ins for Comprehend, Rekognition, Translate and SageMaker runtime on {server.url}", flush=True
    )
    print(
        f"  AWS_ENDPOINT_URL_COMPREHEND={server.url} AWS_ENDPOINT_URL_REKOGNITION={server.url} "
        f"AWS_ENDPOINT_URL_TRANSLATE={server.url} AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME={server.url}",
        flush=True,
    )
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    stopped.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
