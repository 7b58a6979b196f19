"""One extraction pass with delivery: what ``hisbridge sync once`` and the demo run.

``open_project`` reads the settings (at the edge) and loads the project with the part of them
it uses; ``open_pipeline`` builds the store, the delivery service and the SQL poller from
settings; ``extract`` polls tables (parents first) into the store, reporting progress per table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from hisbridge._clock import Clock, system_clock
from hisbridge.settings import Settings, load_settings
from hisbridge.store.migrate import open_store

if TYPE_CHECKING:
    from hisbridge.project.load import Project, ProjectSettings
    from hisbridge.runtime.delivery import DeliveryService
    from hisbridge.sources.sql_poll import PollReport, SqlPoller

__all__ = ["Pipeline", "extract", "open_pipeline", "open_project", "project_settings"]


@dataclass(slots=True)
class Pipeline:
    """The store, the delivery service (also the intake) and the poller of one project."""

    project: Project
    engine: Engine
    delivery: DeliveryService
    poller: SqlPoller


def project_settings(settings: Settings) -> ProjectSettings:
    """The part of the settings a project reads: one institution's identity fills every record
    (as a single hospital's always did, also when ``institutions`` lists just one); a group's
    records carry their own codes, and get their institution's name."""
    from hisbridge.project.load import ProjectSettings

    served = settings.institution_list()
    if len(served) == 1:
        return ProjectSettings(settings.his, served[0].frontend, settings.validation.mode)
    group = {i.org_code: i.name for i in served}
    return ProjectSettings(settings.his, settings.frontend, settings.validation.mode, group)


def open_project(config: Path | str, settings: Settings | None = None) -> Project:
    """The project of ``config`` (``hisbridge.yaml``), with ``settings`` or the ones it holds."""
    from hisbridge.project.load import load_project

    return load_project(config, project_settings(settings or load_settings(Path(config))))


@contextmanager
def open_pipeline(config: Path, *, clock: Clock = system_clock,
                  source_engine: Engine | None = None) -> Iterator[Pipeline]:
    """Load ``config`` (hisbridge.yaml with its mappings), open the store (refused when it needs
    ``hisbridge upgrade``; an empty one gets the schema) and the HIS."""
    from hisbridge.runtime.delivery import DeliveryService
    from hisbridge.sources.sql_poll import SqlPoller

    settings = load_settings(config)
    project = open_project(config, settings)
    engine = open_store(settings.store.url, config)
    try:
        delivery = DeliveryService.from_settings(settings, engine, clock=clock)
        with SqlPoller(project, delivery, engine, source_engine=source_engine,
                       clock=clock) as poller:
            yield Pipeline(project, engine, delivery, poller)
    finally:
        engine.dispose()


def extract(poller: SqlPoller, tables: Iterable[str], *, since: datetime | None = None,
            on_table: Callable[[PollReport], None] | None = None) -> list[PollReport]:
    """Poll each table once (in the order given); errors are in the reports, not raised."""
    reports = []
    for table in tables:
        report = poller.poll_table(table, since=since)
        reports.append(report)
        if on_table is not None:
            on_table(report)
    return reports
