"""The viewer model (pure) and the wire mapping's envelope handling."""

from __future__ import annotations

from datetime import datetime

import pytest

from hisbridge._clock import CHINA_TZ
from hisbridge.sharing.consent.config import EnvelopeFields
from hisbridge.sharing.consent.platform import Document, IndexEntry
from hisbridge.sharing.consent.platform_errors import PlatformError, http_status
from hisbridge.sharing.consent.platform_wire import open_envelope, parse_index
from hisbridge.sharing.documents.viewer_model import detail_view, timeline


def entry(doc: str, category: str, day: int) -> IndexEntry:
    when = datetime(2025, 1, day, 9, tzinfo=CHINA_TZ)
    return IndexEntry(doc, category, "", doc, "某医院", "科室", when, "")


def test_timeline_groups_in_clinical_order_newest_first() -> None:
    groups = timeline(
        [entry("a", "VACCINATION", 1), entry("b", "LAB", 2), entry("c", "LAB", 9), entry("d", "VISIT", 3)]
    )
    assert [g.label for g in groups] == ["既往诊疗", "检验", "疫苗接种"]
    assert [e.doc_id for e in groups[1].entries] == ["c", "b"]


def test_lab_detail_flags_abnormal_rows() -> None:
    items = [
        {
            "itemName": "白细胞计数",
            "quantValue": 12.1,
            "unit": "10^9/L",
            "referenceRange": "3.5-9.5",
            "abnormalFlag": "H",
        },
        {
            "itemName": "血红蛋白",
            "quantValue": 140,
            "unit": "g/L",
            "referenceRange": "130-175",
            "abnormalFlag": "",
        },
    ]
    doc = Document(
        "D1",
        "LAB",
        "lab_report",
        "检验报告",
        "某医院",
        datetime(2025, 1, 2, 9, tzinfo=CHINA_TZ),
        {"reportNo": "JY1", "collectedAt": "2025-01-02T09:00:00+08:00", "items": items},
    )
    view = detail_view(doc)
    assert ("检验报告单编号", "JY1") in view.fields and ("采样时间", "2025-01-02 09:00") in view.fields
    assert [r["_abnormal"] for r in view.table_rows] == ["H", ""]
    assert view.table_rows[0]["quantValue"] == "12.1"


def test_transfusion_highlights_blood_group_and_volume() -> None:
    doc = Document(
        "D2",
        "BLOOD",
        "blood_transfusion",
        "输血记录",
        "某医院",
        datetime(2025, 1, 2, tzinfo=CHINA_TZ),
        {"abo": "A", "rh": "阳性", "productType": "悬浮红细胞", "volume": 2, "volumeUnit": "U"},
    )
    assert detail_view(doc).highlight == "A型 Rh阳性 · 悬浮红细胞 2U"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ([], "5000"),
        ({"resultCode": "3007", "resultMessage": "revoked"}, "3007"),
        ({"resultMessage": "?"}, "5000"),
    ],
)
def test_envelope_errors(body: object, code: str) -> None:
    with pytest.raises(PlatformError) as caught:
        open_envelope(body, EnvelopeFields())
    assert caught.value.code == code and caught.value.message_zh


def test_envelope_success_and_malformed_items_dropped() -> None:
    data = open_envelope(
        {
            "resultCode": "0",
            "data": {
                "items": [
                    {"docId": "1", "category": "LAB", "effectiveTime": "2025-01-01T08:00:00+08:00"},
                    {"docId": "2", "category": "LAB", "effectiveTime": "yesterday"},
                    {"category": "LAB", "effectiveTime": "2025-01-01T08:00:00+08:00"},
                ]
            },
        },
        EnvelopeFields(),
    )
    assert [e.doc_id for e in parse_index(data)] == ["1"]


@pytest.mark.parametrize(
    ("code", "status"),
    [("3007", 403), ("3002", 410), ("2001", 422), ("1001", 502), ("5000", 503), ("4002", 451)],
)
def test_platform_code_to_http(code: str, status: int) -> None:
    assert http_status(code) == status
