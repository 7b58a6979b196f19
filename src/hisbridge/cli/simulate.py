"""``hisbridge simulate ...``: run a simulator. Each simulator package adds its commands here.

A simulator package exposes ``register(app: typer.Typer)`` in its ``cli`` module; add one line
to ``SIMULATORS`` to make it appear.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(help="模拟器 / simulators for rehearsals and tests", no_args_is_help=True)

SIMULATORS: list[str] = [
    "hisbridge.simulators.frontend.cli",
    "hisbridge.simulators.gdhealth.cli",
    "hisbridge.simulators.his.cli",
]


def load() -> typer.Typer:
    for module in SIMULATORS:
        importlib.import_module(module).register(app)
    return app
