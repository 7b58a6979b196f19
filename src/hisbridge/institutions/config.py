"""The ``institutions`` setting and the resolved list every part of the gateway works from.

An institution overrides only what differs from the top-level ``frontend`` and ``gdhealth``
sections, so a county group writes its shared front-end URL once and each township centre's
licence and codes beside its name. ``resolve_institutions`` turns the settings into frozen
``Institution`` values, each with complete front-end and provincial settings; with no list, it
is the one institution the top-level sections describe (the single-hospital setup, unchanged).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from hisbridge.connectors.frontend.config import FrontendSettings
from hisbridge.dictionary import load_dictionary
from hisbridge.errors import ConfigError
from hisbridge.sharing.consent.config import GdHealthSettings

__all__ = ["Institution", "InstitutionSettings", "resolve_institutions"]


class InstitutionSettings(BaseModel):
    """One institution of a hospital group: what differs from the top-level sections."""

    model_config = ConfigDict(extra="forbid")

    # The organisation code (组织机构代码) its records carry in org_code; the routing key.
    org_code: str = Field(min_length=1, max_length=50)
    name: str = ""  # the institution's name, shown in the console and filled into records
    enabled: bool = True  # false: its records are held with a reason, never sent
    # National tables that apply to it; empty = all 20 (a township centre may send fewer).
    tables: list[str] = Field(default_factory=list)
    # Front-end settings that differ from the top-level frontend section (base_url, license, ...).
    frontend: dict[str, Any] = Field(default_factory=dict)
    # Provincial settings that differ from the top-level gdhealth section (partner_id, secrets, ...).
    gdhealth: dict[str, Any] = Field(default_factory=dict)

    @field_validator("tables")
    @classmethod
    def _known_tables(cls, tables: list[str]) -> list[str]:
        known = set(load_dictionary().names)
        unknown = sorted(set(tables) - known)
        if unknown:
            raise ValueError(f"不是标准表 not one of the 20 national tables: {', '.join(unknown)}")
        return tables


@dataclass(frozen=True, slots=True)
class Institution:
    """An institution with complete settings: what routing, delivery, warnings and sharing use."""

    org_code: str
    name: str
    enabled: bool
    tables: frozenset[str]  # the national tables that apply to it
    frontend: FrontendSettings
    gdhealth: GdHealthSettings

    def applies(self, table: str) -> bool:
        """Does national ``table`` apply to this institution?"""
        return table in self.tables

    @property
    def licence(self) -> SecretStr | None:
        """Its front-end licence (机构授权码): one message poller and one key per licence."""
        return self.frontend.license


def _merged(base: BaseModel, overrides: dict[str, Any], where: str) -> Any:
    try:
        return type(base).model_validate({**base.model_dump(), **overrides})
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from exc


def resolve_institutions(frontend: FrontendSettings, gdhealth: GdHealthSettings,
                         listed: Sequence[InstitutionSettings]) -> tuple[Institution, ...]:
    """The institutions the gateway serves, each with complete settings (see the module doc)."""
    every = frozenset(load_dictionary().names)
    if not listed:
        return (Institution(frontend.org_code, frontend.org_name, True, every, frontend, gdhealth),)
    seen: set[str] = set()
    out = []
    for n, item in enumerate(listed):
        where = f"institutions[{n}] ({item.org_code})"
        if item.org_code in seen:
            raise ConfigError(f"{where}: 机构代码重复 org_code listed twice")
        seen.add(item.org_code)
        name = item.name or item.org_code
        front = _merged(frontend, {"org_code": item.org_code, "org_name": name, **item.frontend},
                        f"{where}.frontend")
        gd = _merged(gdhealth, {"org_code": item.org_code, **item.gdhealth}, f"{where}.gdhealth")
        out.append(Institution(item.org_code, name, item.enabled,
                               frozenset(item.tables) or every, front, gd))
    return tuple(out)
