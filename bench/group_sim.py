"""The front-end simulator for the hospital-group bench, noting when each record was answered.

    PYTHONPATH=src python bench/group_sim.py --port P --store sqlite:///F --latency-ms 5

hisbridge's front-end simulator (``create_frontend_app``) with an empty licence list, so one
process accepts all the group's licences (it does not tell them apart in its log: the bench
tells institutions apart by the keys it gave their records), answering each request after
``--latency-ms``. A hook on its request log notes, for every data-API request, the wall-clock
time it was answered (its own log keeps whole seconds and only the newest 10,000), the table,
the record's key and whether it succeeded; ``GET /bench/notes`` returns them as one JSON array
of ``[time, camelTable, key, ok]``.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import uvicorn
from starlette.requests import Request
from starlette.responses import Response

from hisbridge.simulators.frontend.app import create_frontend_app
from hisbridge.simulators.frontend.config import FaultSettings, FrontendSimConfig

DATA_PATH = "/hclient/emr/receive/"
NOTES_PATH = "/bench/notes"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--store", required=True)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    config = FrontendSimConfig(licenses=(), faults=FaultSettings(latency_ms=args.latency_ms))
    app = create_frontend_app(config, store_url=args.store)
    app.sim.reset()
    state = app.sim
    keys = {camel: spec.field(spec.primary_key) for camel, spec in state.tables.items()}
    notes: list[tuple[float, str, Any, bool]] = []
    log = state.log

    def noting(method: str, path: str, body: Any, key_style: str | None,
               reply: dict[str, Any] | None, http_status: int) -> None:
        log(method, path, body, key_style, reply, http_status)
        if path.startswith(DATA_PATH):
            table = path[len(DATA_PATH):]
            field = keys.get(table)
            key = body.get(field.camel) if isinstance(body, dict) and field else None
            notes.append((time.time(), table, key, bool(reply and reply.get("result"))))

    async def read_notes(request: Request) -> Response:
        return Response(json.dumps(notes), media_type="application/json")

    state.log = noting  # type: ignore[method-assign]
    app.add_route(NOTES_PATH, read_notes)
    uvicorn.run(app, host="127.0.0.1", port=args.port, access_log=False, log_level="warning")


if __name__ == "__main__":
    main()
