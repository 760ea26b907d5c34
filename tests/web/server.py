"""The server the browser tests and the screenshot script run: ``govshare serve`` with one test-only change.

The population library (人口基础库) that the citizen page checks names against is not seeded in the demo store
yet, so this process installs a name check against the seeder's ``DATA_DIR/seed/persons.csv`` (the same
persons the library ingests) before it serves. Nothing else differs from ``python -m govshare.cli serve``.

    GOVSHARE_DATA_DIR=… GOVSHARE_DATABASE_URL=… python -m tests.web.server --port 8123
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import uvicorn

from govshare.config import get_settings
from govshare.web import citizen


def persons_check(persons_csv: Path) -> citizen.IdentityCheck:
    with persons_csv.open(encoding="utf-8", newline="") as fh:
        names = {row["id_number"]: row["name"] for row in csv.DictReader(fh)}
    return lambda _session, id_number, name: names.get(id_number) == name


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    settings = get_settings()
    citizen.set_identity_check(persons_check(settings.data_dir / "seed" / "persons.csv"))
    uvicorn.run(
        "govshare.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=1,  # in this process, so the check installed above is the one that serves
        log_level=settings.log_level.lower(),
        access_log=False,
    )


if __name__ == "__main__":
    main()
