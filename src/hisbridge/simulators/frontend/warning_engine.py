"""The warning engine: turns what the simulator received into warning messages.

- a visit (emr_activity_info) with a notifiable diagnosis and no report card for the patient
  within ``report_delay_s`` -> 传染病漏报提醒 to the diagnosing doctor (``operator_id``);
- a positive pathogen lab item (emr_ex_lab_item) -> 病原学阳性提醒;
- a report card (emr_inf_report) -> 报告卡已接收, and any waiting 漏报 for that patient stops.

Overdue visits are found by ``evaluate()``, which the server calls every ``tick_s`` and tests
call after moving the injected clock. Each message has a dedupe key, so a re-sent record never
repeats a message. Waiting visits are held in memory and written through to the store
(``durable.py``) with their due time; a restart loads them, and those that came due while the
simulator was down fire at the first ``evaluate()``. A visit leaves the store only after its
message is stored, and the dedupe key stops a second message if that order is cut short.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hisbridge._clock import Clock
from hisbridge._ids import new_id
from hisbridge.dictionary import Dictionary
from hisbridge.simulators.frontend import warning_rules as rules
from hisbridge.simulators.frontend.durable import DurableState, SavedVisit
from hisbridge.simulators.frontend.store import SimStore

__all__ = ["WarningEngine"]

_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass(slots=True)
class _Waiting:
    """A notifiable diagnosis waiting for its report card."""

    activity: dict[str, Any]
    code: str
    disease: str
    due: datetime


class WarningEngine:
    """Reacts to stored records and to the passing of time."""

    def __init__(
        self, store: SimStore, clock: Clock, dictionary: Dictionary, report_delay_s: float
    ) -> None:
        self.store = store
        self.clock = clock
        self.delay = timedelta(seconds=report_delay_s)
        self.codes = rules.NotifiableCodes.from_dictionary(dictionary)
        pathogens = dictionary.code_set("lab_item_pathogen")
        self.pathogen_codes = frozenset(pathogens.codes if pathogens else ())
        self.durable = DurableState(store)
        self.waiting: dict[str, _Waiting] = {
            v.activity_id: _Waiting(v.activity, v.code, v.disease, v.due)
            for v in self.durable.visits()}

    def on_record(self, table: str, record: Mapping[str, Any], op: str) -> None:
        """Called after a record was stored (``op`` "upsert") or deleted ("delete")."""
        if table == "emr_activity_info":
            self._on_activity(record, op)
        elif table == "emr_inf_report" and op == "upsert":
            self._on_report_card(record)
        elif table == "emr_ex_lab_item" and op == "upsert":
            self._on_lab_item(record)

    def evaluate(self) -> int:
        """Raise 漏报 for every overdue visit still without a report card; how many raised."""
        now = self.clock.now()
        raised = 0
        for activity_id, waiting in list(self.waiting.items()):
            if waiting.due > now:
                continue
            if not self._has_report_card(waiting.activity.get("patient_id")):
                raised += self._missed_report(waiting)
            self._forget(activity_id)  # only now: a failed store keeps it for the next tick
        return raised

    def reset(self) -> None:
        """Forget the waiting visits held in memory (the store's own reset empties its table)."""
        self.waiting.clear()

    # -- reactions --------------------------------------------------------------------------

    def _on_activity(self, record: Mapping[str, Any], op: str) -> None:
        activity_id = str(record.get("id"))
        found = rules.notifiable_diagnoses(record, self.codes)
        if op == "delete" or not found or record.get("invalid_flag") == "1":
            self._forget(activity_id)
            return
        if self._has_report_card(record.get("patient_id")):
            self._forget(activity_id)
            return
        code, disease = found[0]
        earlier = self.waiting.get(activity_id)
        due = earlier.due if earlier else self.clock.now() + self.delay
        waiting = _Waiting(dict(record), code, disease, due)
        self.durable.save_visit(SavedVisit(activity_id, waiting.activity, code, disease, due))
        self.waiting[activity_id] = waiting

    def _on_report_card(self, card: Mapping[str, Any]) -> None:
        patient_id = card.get("patient_id")
        for activity_id, waiting in list(self.waiting.items()):
            if waiting.activity.get("patient_id") == patient_id:
                self._forget(activity_id)
        facts = {**card, "disease": card.get("disease_name") or card.get("disease_code")}
        self._emit(rules.REPORT_RECEIVED, f"{rules.REPORT_RECEIVED}:{card.get('id')}", facts, {
            "patient_id": patient_id, "org_code": card.get("report_org_code") or "",
            "dept_code": card.get("dept_code"), "user_id": card.get("operator_id"),
        })

    def _on_lab_item(self, item: Mapping[str, Any]) -> None:
        if not rules.is_positive_pathogen(item, self.pathogen_codes):
            return
        lab = self.store.find("emr_ex_lab", "id", item.get("ex_lab_id")) or {}
        facts = {**lab, "item_name": item.get("item_name"),
                 "result": item.get("examination_result_name") or "阳性"}
        self._emit(rules.PATHOGEN_POSITIVE, f"{rules.PATHOGEN_POSITIVE}:{item.get('id')}", facts, {
            "patient_id": lab.get("patient_id"), "org_code": lab.get("org_code"),
            "dept_code": lab.get("apply_dept_code") or lab.get("dept_code"),
            "user_id": lab.get("apply_physician_id") or item.get("operator_id"),
        })

    def _missed_report(self, waiting: _Waiting) -> int:
        activity = waiting.activity
        facts = {**activity, "disease": waiting.disease, "code": waiting.code,
                 "delay_s": self.delay.total_seconds()}
        stored = self._emit(rules.MISSED_REPORT, f"{rules.MISSED_REPORT}:{activity.get('id')}",
                            facts, {
            "patient_id": activity.get("patient_id"), "org_code": activity.get("org_code"),
            "dept_code": activity.get("dept_code"), "user_id": activity.get("operator_id"),
        })
        return 1 if stored else 0

    # -- helpers ----------------------------------------------------------------------------

    def _forget(self, activity_id: str) -> None:
        """Stop watching a visit, in memory and in the store (no write if it was not watched)."""
        if self.waiting.pop(activity_id, None) is not None:
            self.durable.forget_visit(activity_id)

    def _has_report_card(self, patient_id: Any) -> bool:
        if not patient_id:
            return False
        return self.store.find("emr_inf_report", "patient_id", patient_id) is not None

    def _emit(
        self, kind: str, dedupe_key: str, facts: Mapping[str, Any], who: Mapping[str, Any]
    ) -> bool:
        message = {
            "msg_id": new_id(), "type": kind, "level": rules.LEVELS[kind],
            "title": rules.TITLES[kind], "content": rules.message_text(kind, facts),
            "serial_number": facts.get("serial_number") or "",
            "create_time": self.clock.now().strftime(_TIME_FORMAT), "dedupe_key": dedupe_key,
            **{k: (str(v) if v is not None else "") for k, v in who.items()},
        }
        return self.store.add_message(message)
