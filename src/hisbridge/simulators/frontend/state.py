"""Everything one running front-end simulator holds, reachable as ``app.state.sim``."""

from __future__ import annotations

from typing import Any

from hisbridge import _json
from hisbridge._clock import Clock, system_clock
from hisbridge.dictionary import TableSpec, Validator, load_dictionary
from hisbridge.simulators.frontend.config import FrontendSimConfig
from hisbridge.simulators.frontend.faults import FaultInjector
from hisbridge.simulators.frontend.intake import Intake, lenient_dictionary
from hisbridge.simulators.frontend.secret_keys import SecretKeys
from hisbridge.simulators.frontend.store import SimStore
from hisbridge.simulators.frontend.warning_engine import WarningEngine

__all__ = ["FrontendState"]

_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class FrontendState:
    """Store, validator, warning engine, keys and faults of one simulator."""

    def __init__(
        self, config: FrontendSimConfig, *, clock: Clock = system_clock,
        store_url: str | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.dictionary = load_dictionary()
        self.tables: dict[str, TableSpec] = {t.camel_name: t for t in self.dictionary}
        self.store = SimStore(store_url, self.dictionary, commit_every=config.commit_every,
                              commit_interval_s=config.commit_interval_s,
                              request_log_keep=config.request_log_keep)
        self.engine = WarningEngine(self.store, clock, self.dictionary, config.report_delay_s)
        self.keys = SecretKeys(clock, config.key_ttl_s, config.licenses, self.engine.durable,
                               keep=config.keys_keep)
        self.faults = FaultInjector(config.faults, clock)
        rules = self.dictionary if config.mode == "strict" else lenient_dictionary(self.dictionary)
        self.intake = Intake(self.store, Validator(config.mode, rules),
                             on_record=self.engine.on_record, stamp=self.now_text)
        self._stamp: tuple[int, str] = (-1, "")

    def now_text(self) -> str:
        """The clock's time as the wire writes it (formatted once per second: hot path)."""
        now = self.clock.now()
        second = int(now.timestamp())
        if second != self._stamp[0]:
            self._stamp = (second, now.strftime(_TIME_FORMAT))
        return self._stamp[1]

    def name(self, key: str) -> str:
        """The wire name of a field of the provisional contract (renamable in the config)."""
        return self.config.names.get(key, key)

    def tick(self) -> int:
        """Run the warning engine once; the number of 漏报 messages raised."""
        return self.engine.evaluate()

    def log(
        self, method: str, path: str, body: Any, key_style: str | None,
        reply: dict[str, Any] | None, http_status: int,
    ) -> None:
        """Append one entry to the request log (body kept as parsed, if small enough)."""
        kept = _json.dumps(body).decode("utf-8") if body is not None else None
        if kept is not None and len(kept) > self.config.request_log_body_chars:
            kept = _json.dumps(f"<{len(kept)} 字符，未保存 / too large to keep>").decode()
        result = None if reply is None else int(bool(reply.get("result")))
        code = None if reply is None else reply.get("errorCode") or ""
        self.store.log_request(
            (self.now_text(), method, path, key_style, kept, result, code, http_status))

    def reset(self) -> None:
        """Forget every record, request, message, key, waiting visit and fault."""
        self.store.reset()
        self.engine.reset()
        self.keys.reset()
        self.faults.configure(self.config.faults)

    def close(self) -> None:
        self.store.close()
