"""One module per Lambda function. The first import of this package, in Lambda,
pauses the garbage collector until the first invocation (startup.py)."""

from text2image.startup import pause_collection_while_importing

pause_collection_while_importing()
