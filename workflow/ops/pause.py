"""`make pause` / `make resume`: flip the operator's pause switch, with no redeploy.

On AWS the switch is the SSM parameter the stack names in its `PauseParameter`
output; with `--local URL` it is the one in a running `make local`'s moto.
Admission reads it on every run (cached for a few seconds on AWS): while paused,
sync requests answer 503 "paused" and jobs wait.
"""

from __future__ import annotations

import argparse
import sys

import boto3
import requests
from botocore.exceptions import BotoCoreError, ClientError

from cdk.text2image_cdk.app import STACK_NAME
from workflow.local.environment import PAUSE_PARAMETER, REGION, set_pause_switch

OUTPUT = "PauseParameter"


def stack_parameter(cloudformation: object, stack_name: str) -> str:
    stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]  # type: ignore[attr-defined]
    outputs = {item["OutputKey"]: item["OutputValue"] for item in stacks[0].get("Outputs", [])}
    if OUTPUT not in outputs:
        raise SystemExit(
            f"stack {stack_name} has no {OUTPUT} output: deploy this version first (make deploy)"
        )
    return outputs[OUTPUT]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m workflow.ops.pause", description=__doc__)
    parser.add_argument("action", choices=["pause", "resume"])
    parser.add_argument("--local", metavar="URL", help="a running make local, e.g. http://127.0.0.1:8080")
    parser.add_argument("--stack", default=STACK_NAME, help="the deployed stack's name")
    args = parser.parse_args(argv)
    paused = args.action == "pause"
    try:
        if args.local:
            info = requests.get(f"{args.local.rstrip('/')}/api/_local", timeout=5)
            info.raise_for_status()
            ssm = boto3.client(
                "ssm",
                endpoint_url=info.json()["moto_url"],
                region_name=REGION,
                aws_access_key_id="local",
                aws_secret_access_key="local",
            )
            parameter = PAUSE_PARAMETER
        else:
            ssm = boto3.client("ssm")
            parameter = stack_parameter(boto3.client("cloudformation"), args.stack)
        set_pause_switch(ssm, parameter, paused)
    except requests.RequestException as error:
        print(f"make local is not answering at {args.local}: {error}", file=sys.stderr)
        return 1
    except (ClientError, BotoCoreError) as error:
        print(f"the pause switch could not be set: {error}", file=sys.stderr)
        return 1
    state = "paused: requests answer 503, jobs wait" if paused else "running"
    print(f"{parameter}: {state}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
