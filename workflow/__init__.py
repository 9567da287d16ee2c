"""Local execution and tooling: the product, run on one machine.

- `local/`: the runtime: the real ASL on moto's Step Functions engine, the real handlers, the local API;
- `standins/`: Comprehend, Rekognition, Translate and the SDXL endpoint, on the AWS wire protocols;
- `ops/`: tools for a deployed stack (preflight, rehearsal, smoke, the JumpStart SDK, generated documents);
- `measure/`: prompt-check quality, capacity under load, cold starts and stand-in latency.
"""

from __future__ import annotations

import repo_paths  # noqa: F401  (puts lambdas/ on the import path, as the Lambda runtime has it)
