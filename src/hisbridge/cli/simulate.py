"""``hisbridge simulate ...``: run a simulator. Each simulator package adds its commands here.

A simulator package exposes ``register(app: typer.Typer)`` in its ``cli`` module; import it
below and add it to ``load``. This module and ``hisbridge demo`` are the only product code that
may import ``hisbridge.simulators`` (the ``no-harness-in-product`` contract in pyproject.toml).
"""

from __future__ import annotations

import typer

app = typer.Typer(help="模拟器 / simulators for rehearsals and tests", no_args_is_help=True)


def load() -> typer.Typer:
    from hisbridge.simulators.frontend import cli as frontend
    from hisbridge.simulators.gdhealth import cli as gdhealth
    from hisbridge.simulators.his import cli as his

    for simulator in (frontend, gdhealth, his):
        simulator.register(app)
    return app
