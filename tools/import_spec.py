"""Turn the reconstructed spec in ../shared/spec/frontend into hisbridge's own package data.

Run once when the shared spec changes: ``python tools/import_spec.py ../shared/spec/frontend``.
The package data is then owned and versioned by this project; nothing at run time reads shared/.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

_FIELD_KEYS = (
    "name", "json_camel", "label_zh", "type", "length", "required", "required_level",
    "code_set", "spec_status", "alt_lengths", "note",
)
_TABLE_KEYS = (
    "name", "title_zh", "api_path", "group", "primary_key", "parent_keys", "operations",
    "confidence", "confidence_reason",
)


def _code_set_name(raw: str | None) -> str | None:
    if raw is None:
        return None
    return raw.split(" (")[0]


def main(src: str) -> None:
    root = Path(src)
    tables = json.loads((root / "tables.json").read_text("utf-8"))
    codesets = json.loads((root / "codesets.json").read_text("utf-8"))
    out_tables = []
    for table in tables["tables"]:
        t = {k: table[k] for k in _TABLE_KEYS if k in table}
        t["fields"] = []
        for field in table["fields"]:
            f = {k: field[k] for k in _FIELD_KEYS if k in field}
            f["code_set"] = _code_set_name(f.get("code_set"))
            t["fields"].append(f)
        out_tables.append(t)
    out_sets = {}
    for name, cs in codesets["codesets"].items():
        out_sets[name] = {
            "name_zh": cs.get("name_zh", name),
            "confidence": cs.get("confidence", "medium"),
            "note": cs.get("note", ""),
            "codes": [
                {k: c[k] for k in ("code", "label", "remark") if k in c} for c in cs.get("codes", [])
            ],
        }
    data = Path(__file__).resolve().parent.parent / "src" / "hisbridge" / "dictionary" / "data"
    header = {"source": tables["spec"], "generated_by": tables["generated_by"]}
    (data / "tables.json").write_text(
        json.dumps({**header, "tables": out_tables}, ensure_ascii=False, indent=1) + "\n", "utf-8"
    )
    (data / "codesets.json").write_text(
        json.dumps({"note": codesets["note"], "codesets": out_sets}, ensure_ascii=False, indent=1)
        + "\n",
        "utf-8",
    )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/spec/frontend")
