"""Settings of the HIS source: where the HIS is, where the mappings live, how often to poll.

Relative paths are resolved against the folder holding ``hisbridge.yaml`` by ``load_project``.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from pathlib import Path

from pydantic import BaseModel, Field, field_validator

from hisbridge._clock import time_zone
from hisbridge.mapping.exclusions import ExcludeRule

__all__ = ["DEFAULT_DRUG_CLASSES", "HisSettings"]

# The drug classes the front-end wants (antivirals, antibacterials, antipyretics, antitussives,
# HIV, TB and schistosomiasis drugs); everything else is filtered out of emr_order_item.
DEFAULT_DRUG_CLASSES: tuple[str, ...] = (
    "antiviral", "antibacterial", "antipyretic", "antitussive", "hiv", "tb", "schistosomiasis",
)


class HisSettings(BaseModel):
    """The ``his:`` section of hisbridge.yaml."""

    # Name of this source in runs, watermarks and quarantine.
    source_name: str = Field("his", min_length=1, max_length=40)
    source_url: str | None = None  # SQLAlchemy URL of the HIS (a read-only account); unset = no polling
    mappings_dir: Path = Path("mappings")  # one SQL file per national table
    codemaps_dir: Path = Path("codemaps")  # hospital code → standard code, one CSV per code set
    # Hospital drug → ATC code, standard drug code, class (docs/mapping.md); unset = none.
    drug_catalogue: Path | None = Path("drug_catalogue.csv")
    # Drug classes sent in emr_order_item; other drugs are filtered out.
    drug_classes: list[str] = Field(default_factory=lambda: list(DEFAULT_DRUG_CLASSES))
    # CSV (column item_code) of lab items already mapped in the front-end; ``check --lab-items``
    # then exports only the rest.
    lab_items_mapped: Path | None = None
    strict_codes: bool = False  # true: a row with an unmapped code is quarantined, not sent
    # Poll interval of the real-time tables (patient, visit activity, report card), in seconds.
    realtime_interval_s: float = Field(10.0, gt=0)
    # Poll interval of the T+0 and base tables, in seconds — used when t0_cron is empty.
    t0_interval_s: float = Field(300.0, gt=0)
    # Cron schedule of the T+0 and base tables; wins over t0_interval_s ("" = use the interval).
    t0_cron: str = "*/5 * * * *"
    # Cron schedule of the end-of-day pass: every table once more, key-set sweep for deletes.
    closing_sweep_cron: str = "30 23 * * *"
    overlap_s: float = Field(120.0, ge=0)  # each poll re-reads this far behind the watermark (late commits)
    statement_timeout_s: float = Field(60.0, gt=0)  # limit per statement on the HIS, in seconds
    fetch_size: int = Field(2000, ge=1, le=100_000)  # rows per fetch from the HIS
    batch_size: int = Field(5000, ge=1, le=20_000)  # records handed to the store per intake call
    # Where the first poll of a table starts (HIS local time); set it to the go-live day.
    initial_since: datetime = datetime(2000, 1, 1)
    # Do-not-send rules: patients of protected categories, or listed by id, are never sent,
    # nor anything that belongs to them (docs/mapping.md, "Do-not-send rules").
    exclude: list[ExcludeRule] = Field(default_factory=list)
    # Time zone of the HIS's naive timestamps (database columns and API bodies): an IANA name
    # (Asia/Shanghai), UTC or an offset (+08:00). The gateway's own store keeps UTC.
    timezone: str = "Asia/Shanghai"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        time_zone(value)
        return value

    def zone(self) -> tzinfo:
        """The HIS's time zone."""
        return time_zone(self.timezone)
