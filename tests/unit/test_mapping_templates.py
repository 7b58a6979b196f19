"""The worked example: it loads, covers the 20 tables and maps every synthetic HIS code."""

from __future__ import annotations

from pathlib import Path

import pytest

from hisbridge.dictionary import load_dictionary
from hisbridge.errors import ConfigError
from hisbridge.project.example import write_example
from hisbridge.runtime.extraction import open_project
from hisbridge.settings import load_settings
from hisbridge.simulators.his.vocab import DEPARTMENTS, DRUG_STANDARD, DRUGS, LOCAL_CODE_MAPS


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    write_example(tmp_path / "p", his_url="sqlite:////tmp/x.sqlite",
                  frontend_url="http://127.0.0.1:9999", store_url="sqlite:////tmp/s.db")
    return tmp_path / "p"


def test_generated_yaml_loads_with_the_settings_loader(project_dir: Path) -> None:
    settings = load_settings(project_dir / "hisbridge.yaml")
    assert settings.his.source_url == "sqlite:////tmp/x.sqlite"
    assert settings.frontend.base_url == "http://127.0.0.1:9999"
    assert settings.store.url == "sqlite:////tmp/s.db"


def test_one_mapping_per_national_table_in_spec_order(project_dir: Path) -> None:
    project = open_project(project_dir / "hisbridge.yaml")
    assert list(project.mappings) == list(load_dictionary().names)
    assert project.tables("realtime") == ["emr_patient_info", "emr_activity_info",
                                          "emr_inf_report"]
    assert project.mapping("base_dept").delete_flag is None


def test_every_local_code_of_the_synthetic_hospital_is_mapped(project_dir: Path) -> None:
    project = open_project(project_dir / "hisbridge.yaml")
    for code_set, local in LOCAL_CODE_MAPS.items():
        code_map = project.codes.get(code_set)
        assert {k: code_map.resolve(k)[0] for k in local} == dict(local)  # type: ignore[index]
    dept = project.codes.get("department")
    assert all(dept.resolve(code) for code in DEPARTMENTS)
    assert set(project.drugs.entries) == set(DRUGS)
    wanted = {c for c in DRUGS if project.drugs.is_wanted(c)}
    assert wanted == {c for c, (std, _) in DRUG_STANDARD.items() if std}


def test_init_refuses_to_overwrite_without_force(project_dir: Path) -> None:
    with pytest.raises(ConfigError, match="--force"):
        write_example(project_dir)
    assert write_example(project_dir, force=True)


def test_two_mappings_for_one_table_are_refused(project_dir: Path) -> None:
    extra = project_dir / "mappings" / "99_again.sql"
    extra.write_text((project_dir / "mappings" / "20_base_dept.sql").read_text("utf-8"), "utf-8")
    with pytest.raises(ConfigError, match=r"99_again\.sql"):
        open_project(project_dir / "hisbridge.yaml")


def test_init_next_steps_say_what_gdhealth_still_needs(project_dir: Path) -> None:
    """init turns gdhealth on but cannot know the hospital's name: its next steps say so, as
    check and run will (else the first sign is an error line at start-up)."""
    from hisbridge.cli.init import next_steps

    config = project_dir / "hisbridge.yaml"
    steps = next_steps(config, load_settings(config))
    line = next(s for s in steps.splitlines() if "gdhealth:" in s)
    assert "gdhealth.org_name" in line
