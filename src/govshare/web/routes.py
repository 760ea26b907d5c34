"""HTML routes (filled in by the web issue)."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
