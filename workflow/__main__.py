"""python -m workflow run "a jaguar in the Amazon rainforest" | local | preflight [CDK_ARGS] | outputs"""

from __future__ import annotations

import argparse
import sys

from workflow.local import console


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workflow", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    console.add_arguments(commands.add_parser("run", help="run one request through the workflow, locally"))
    commands.add_parser(
        "local", help="the whole system on 127.0.0.1: API, page, moto and stand-ins", add_help=False
    )
    commands.add_parser(
        "preflight", help="checks before `make deploy` (takes the CDK_ARGS: -c key=value ...)", add_help=False
    )
    commands.add_parser("outputs", help="the deployed stack's URLs, from cdk.out/outputs.json")
    args, rest = parser.parse_known_args(argv)
    if args.command == "preflight":
        import os

        from workflow.ops import preflight

        return preflight.main(rest, os.environ)
    if args.command == "outputs":
        from workflow.ops import outputs

        return outputs.main()
    if args.command == "local":
        from workflow.local import serve

        return serve.main(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    return console.run(args)


if __name__ == "__main__":
    sys.exit(main())
