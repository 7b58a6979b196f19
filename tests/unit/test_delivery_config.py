"""Targets and their settings: which target a mode builds, paths, and clear config errors."""

from __future__ import annotations

import pytest

from hisbridge.connectors import make_target
from hisbridge.connectors.frontend.client import FrontendApiClient
from hisbridge.connectors.frontend.config import api_config, db_config
from hisbridge.connectors.frontend.db_sink import FrontendDbSink
from hisbridge.delivery.ports import BatchTarget, Target
from hisbridge.errors import ConfigError, UnknownTable
from hisbridge.runtime.delivery import worker_options
from hisbridge.settings import FrontendSettings, Settings


def test_api_mode_builds_the_data_api_client_with_spec_paths() -> None:
    target = make_target(FrontendSettings(base_url="http://10.0.0.5:8881/"))
    assert isinstance(target, FrontendApiClient) and isinstance(target, Target)
    assert not isinstance(target, BatchTarget)
    assert target.config.url("emr_ex_lab_item") == \
        "http://10.0.0.5:8881/hclient/emr/receive/emrExLabItem"


def test_path_overrides_accept_camel_names_and_refuse_unknown_tables() -> None:
    config = api_config(FrontendSettings(path_overrides={"baseUser": "/x/user"}))
    assert config.url("base_user").endswith("/x/user")
    assert config.url("base_dept").endswith("/hclient/emr/receive/baseDept")
    with pytest.raises(UnknownTable):
        api_config(FrontendSettings(path_overrides={"base_users": "/x"}))


def test_db_mode_needs_a_url_and_builds_the_batch_sink() -> None:
    with pytest.raises(ConfigError, match="db_url"):
        db_config(FrontendSettings(mode="db"))
    settings = FrontendSettings(mode="db", db_url="mysql+pymysql://u@127.0.0.1/fe")
    assert db_config(settings).dialect == "mysql"
    sink = make_target(settings)
    assert isinstance(sink, FrontendDbSink) and isinstance(sink, BatchTarget)


def test_worker_options_follow_the_settings() -> None:
    settings = Settings(frontend={"concurrency": 32}, delivery={"batch_size": 300, "lease_s": 30})
    options = worker_options(settings)
    assert (options.concurrency, options.batch_size, options.lease_s) == (32, 300, 30)
    assert worker_options(Settings(frontend={"mode": "db"})).batch_size == 1000
