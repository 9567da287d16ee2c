"""Operations tools for a deployed stack: checks before `make deploy` (preflight, rehearsal), after it
(smoke, outputs), the JumpStart SDK path, and the documents generated from the code (OpenAPI)."""
