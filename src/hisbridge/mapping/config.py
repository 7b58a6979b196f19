"""Settings of the HIS source: where the HIS is, where the mappings live, how often to poll.

Relative paths are resolved against the folder holding ``hisbridge.yaml`` by ``load_project``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, Field

__all__ = ["DEFAULT_DRUG_CLASSES", "HisSettings"]

# The drug classes the front-end wants (antivirals, antibacterials, antipyretics, antitussives,
# HIV, TB and schistosomiasis drugs); everything else is filtered out of emr_order_item.
DEFAULT_DRUG_CLASSES: tuple[str, ...] = (
    "antiviral", "antibacterial", "antipyretic", "antitussive", "hiv", "tb", "schistosomiasis",
)


class HisSettings(BaseModel):
    """The ``his:`` section of hisbridge.yaml."""

    source_name: str = Field("his", min_length=1, max_length=40)
    source_url: str | None = None
    mappings_dir: Path = Path("mappings")
    codemaps_dir: Path = Path("codemaps")
    drug_catalogue: Path | None = Path("drug_catalogue.csv")
    drug_classes: list[str] = Field(default_factory=lambda: list(DEFAULT_DRUG_CLASSES))
    lab_items_mapped: Path | None = None
    strict_codes: bool = False
    realtime_interval_s: float = Field(10.0, gt=0)
    t0_interval_s: float = Field(300.0, gt=0)
    t0_cron: str = "*/5 * * * *"
    closing_sweep_cron: str = "30 23 * * *"
    overlap_s: float = Field(120.0, ge=0)
    statement_timeout_s: float = Field(60.0, gt=0)
    fetch_size: int = Field(2000, ge=1, le=100_000)
    batch_size: int = Field(5000, ge=1, le=20_000)
    initial_since: datetime = datetime(2000, 1, 1)  # HIS local time; set it to the go-live day
