"""The local runtime: the real ASL on moto's Step Functions engine, the real handlers dispatched in
process, and the API Gateway stand-in in front of them (`python -m workflow run|local`)."""
