"""The group demo's config: an ``institutions:`` list the settings accept, the county on its
own front-end and the centres on the shared one, a random licence each, kept between runs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from hisbridge.demo.group import group_config
from hisbridge.demo.run import DemoPorts
from hisbridge.settings import load_settings
from hisbridge.simulators.his import COUNTY_GROUP

PORTS = DemoPorts(shared_frontend=18882)
TODAY = datetime(2026, 3, 2)


def _licences(folder: Path) -> dict[str, tuple[str, str]]:
    settings = load_settings(group_config(folder, PORTS, TODAY))
    return {i.org_code: (i.frontend.base_url, i.licence.get_secret_value() if i.licence else "")
            for i in settings.institution_list()}


def test_each_institution_has_its_own_random_licence_kept_between_runs(tmp_path: Path) -> None:
    first = _licences(tmp_path / "a")
    assert list(first) == [m.org_code for m in COUNTY_GROUP.members]
    county, *centres = first.values()
    assert county[0].endswith(f":{PORTS.frontend}")
    assert {url for url, _ in centres} == {f"http://127.0.0.1:{PORTS.shared_frontend}"}
    assert len({licence for _, licence in first.values()}) == 4
    assert _licences(tmp_path / "a") == first  # a second run keeps them
    other = _licences(tmp_path / "b")
    assert not {x for _, x in other.values()} & {x for _, x in first.values()}  # random
    assert (tmp_path / "a" / "project" / "hisbridge.yaml").stat().st_mode & 0o077 == 0
