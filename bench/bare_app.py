"""The baseline for bench/gateway.py: a bare FastAPI async endpoint doing the same primary-key lookup on the
same store, with nothing else (no authentication, policy, masking, signature or audit)."""

from __future__ import annotations

import os

from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import create_engine, text

URL = os.environ["BARE_URL"]
QUERY = text(os.environ["BARE_QUERY"])  # one bound parameter :key
engine = create_engine(URL, pool_size=8, max_overflow=8)
app = FastAPI()


class Lookup(BaseModel):
    keys: list[str]


@app.post("/lookup")
async def lookup(body: Lookup) -> dict:
    with engine.connect() as conn:
        rows = [dict(r._mapping) for k in body.keys for r in conn.execute(QUERY, {"key": k})]
    return {"rows": rows}
