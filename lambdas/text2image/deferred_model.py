"""The base of the package's Pydantic models.

Each model's validator is built on its first use rather than at import: a
function uses a handful of the package's models, and building all of them was a
large share of every cold start.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class DeferredModel(BaseModel):
    model_config = ConfigDict(defer_build=True)
