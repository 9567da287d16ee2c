"""The CDK app of the responsible text-to-image service: one stack, built from
the same catalogue, contract and ASL file that the local runner uses."""
