"""Routes of this domain (thin: parse, call service, shape the answer)."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/sharing", tags=["sharing 共享"])
