"""The backup line ``hisbridge upgrade`` prints for a server store: right tool, no password."""

from __future__ import annotations

from datetime import datetime

import pytest

from hisbridge._clock import CHINA_TZ
from hisbridge.store.backup import dump_command

AT = datetime(2026, 12, 5, 8, 30, tzinfo=CHINA_TZ)  # 00:30 UTC: the file is named in UTC


@pytest.mark.parametrize(("url", "line"), [
    ("postgresql+psycopg://hb:s3cret@db.example:5433/hisbridge",
     "pg_dump -h db.example -p 5433 -U hb -Fc -f hisbridge-pre-upgrade-20261205T003000Z.dump "
     "hisbridge"),
    ("mysql+pymysql://hb:s3cret@10.0.0.5/hisbridge?charset=utf8mb4",
     "mysqldump -h 10.0.0.5 -u hb -p --single-transaction --routines hisbridge > "
     "hisbridge-pre-upgrade-20261205T003000Z.sql"),
    ("mariadb+pymysql://root@127.0.0.1:3306/hb",
     "mysqldump -h 127.0.0.1 -P 3306 -u root --single-transaction --routines hb > "
     "hb-pre-upgrade-20261205T003000Z.sql"),
    ("sqlite:////var/lib/hisbridge/store.db", None),
])
def test_dump_command(url: str, line: str | None) -> None:
    assert dump_command(url, AT) == line
    assert "s3cret" not in (line or "")
