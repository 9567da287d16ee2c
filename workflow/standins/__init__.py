"""Local stand-ins for Amazon Comprehend, Amazon Rekognition, Amazon Translate and the SageMaker
JumpStart SDXL endpoint.

They speak the AWS wire protocols, so the unchanged Lambda code (plain boto3
clients) talks to them through the standard `AWS_ENDPOINT_URL_<SERVICE>`
variables, and they answer with real small models that ship inside packages.
"""
