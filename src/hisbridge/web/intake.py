"""HIS push: ``POST /api/v1/events/{table}`` with a bearer token.

The body is one record (a JSON object), or ``{"op": "upsert"|"delete", "records": [...]}``, or
a JSON array of records. With the project's mappings loaded (``AppServices.project``) records take
the SQL path's steps first (``hisbridge.sources.push``: code maps, drug filter, standard drug
code); then they are validated and stored with their outbox entries in one transaction. The
reply is ``202`` with the accepted count, for each rejected record its violations (the record
is quarantined, not lost and not sent) and the records the drug filter dropped. Bad requests
get a clear 4xx: 401 wrong or missing token, 404 unknown table, 413 too large, 400 malformed
JSON or shape, or any query parameter (``?op=delete`` included: the op is the body's).
"""

from __future__ import annotations

import functools
import hmac
import os
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from hisbridge import _json
from hisbridge._clock import system_clock
from hisbridge.dictionary import Validator, load_dictionary
from hisbridge.errors import Terminal
from hisbridge.settings import Settings
from hisbridge.sources.push import PushResult, accept_pushed
from hisbridge.store.intake import StoreIntake
from hisbridge.store.ports import Intake, Op
from hisbridge.web.ratelimit import TokenBucketLimiter, retry_after
from hisbridge.web.services import services_of

__all__ = ["Problem", "intake_service", "mount", "push_token", "require_token"]

TOKEN_ENV = "HISBRIDGE_PUSH_TOKEN"
_FILTERED = ("药品不在前置软件所需的药品类别中（drug_catalogue.csv / his.drug_classes），不发送 "
             "the drug is not in a class the front-end wants; not sent")
_EXCLUDED = ("按不上传规则（his.exclude）不发送 kept back by a do-not-send rule (his.exclude); "
             "not sent")
_DROPPED = ("不在前置软件的代码表中，可选映射（?）未发送该代码，记录其余部分照常发送；"
            "如属应报病种请在代码映射文件中补一行 "
            "not in the front-end's code list: an optional map (?) left the code out, the record "
            "was sent without it; add a line to the code map if it should be sent")
# Query parameters the push API takes: none. The op is the body's: {"op": "delete", ...}.
QUERY_PARAMETERS: tuple[str, ...] = ()


class Problem(Terminal):
    """A clear 4xx: rendered as its JSON body with its status (and headers)."""

    def __init__(self, status: int, body: dict[str, Any],
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(body.get("error", ""))
        self.status = status
        self.body = body
        self.headers = headers


async def _render_problem(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return JSONResponse(exc.body, exc.status, headers=exc.headers)


def push_token(settings: Settings, environ: Mapping[str, str] = os.environ) -> str | None:
    """The push token: ``push.token`` from the settings, else ``HISBRIDGE_PUSH_TOKEN``."""
    if settings.push.token is not None and settings.push.token.get_secret_value():
        return settings.push.token.get_secret_value()
    return environ.get(TOKEN_ENV) or None


def require_token(request: Request) -> None:
    """401 unless the request carries ``Authorization: Bearer <push token>``."""
    state = request.app.state
    expected = getattr(state, "push_token", None) or push_token(state.settings)
    challenge = {"WWW-Authenticate": "Bearer"}
    if not expected:
        raise Problem(401, {"error": "推送令牌未配置 push token not configured",
                                  "hint": f"在配置 push.token 或环境变量 {TOKEN_ENV} 中设置"},
                            headers=challenge)
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip(), expected):
        raise Problem(401, {"error": "令牌错误或缺失 missing or wrong bearer token",
                                  "hint": "请求头 Authorization: Bearer <token>"},
                            headers=challenge)


def check_rate(request: Request) -> None:
    """429 with ``Retry-After`` when the client's token bucket is empty (``push.rate_per_s``)."""
    state = request.app.state
    limiter = getattr(state, "push_limiter", None)
    if limiter is None:
        push = state.settings.push
        limiter = state.push_limiter = TokenBucketLimiter(
            push.rate_per_s, push.rate_burst, clock=getattr(state, "clock", None) or system_clock)
    wait = limiter.take(request.client.host if request.client else "-")
    if wait > 0:
        raise Problem(429, {"error": "推送过于频繁 too many requests", "retry_after_s": round(wait, 2),
                            "hint": "按 Retry-After 秒后重试，或调大 push.rate_per_s"},
                      headers={"Retry-After": retry_after(wait)})


def intake_service(app: FastAPI) -> Intake:
    """The running delivery service, else an Intake over the store (made once per app)."""
    delivery = services_of(app).delivery
    if delivery is not None:
        return delivery
    found = getattr(app.state, "intake", None)
    if found is not None:
        return found  # type: ignore[no-any-return]
    settings: Settings = app.state.settings
    app.state.intake = StoreIntake(app.state.engine, Validator(settings.validation.mode),
                                   clock=app.state.clock,
                                   on_parent_delete=settings.delivery.on_parent_delete,
                                   wire=settings.frontend.api_body_at_intake)
    return app.state.intake  # type: ignore[no-any-return]


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise Problem(413, {"error": f"请求体过大 body larger than {limit} bytes",
                                  "hint": "分批推送，或调大 push.max_body_bytes"})
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem(413, {"error": f"请求体过大 body larger than {limit} bytes",
                                      "hint": "分批推送，或调大 push.max_body_bytes"})
        chunks.append(chunk)
    return b"".join(chunks)


def _records(body: Any) -> tuple[Op, list[Any]]:
    if isinstance(body, list):
        return "upsert", body
    if not isinstance(body, dict):
        raise Problem(400, {"error": "请求体应为 JSON 对象或数组 body must be an object or array",
                            "hint": '例如 {"op": "upsert", "records": [{...}]}'})
    if "records" not in body:
        return "upsert", [body]
    op, records = body.get("op", "upsert"), body["records"]
    if op not in ("upsert", "delete"):
        raise Problem(400, {"error": f"op 无效 invalid op: {str(op)[:40]!r}",
                                  "hint": "op 只能是 upsert 或 delete"})
    if not isinstance(records, list):
        raise Problem(400, {"error": "records 应为数组 records must be an array"})
    return op, records


def _refuse_query(request: Request) -> None:
    """400 for any query parameter: one the API ignored would change nothing, silently."""
    unknown = [k for k in request.query_params if k not in QUERY_PARAMETERS]
    if not unknown:
        return
    name = unknown[0][:40]
    body: dict[str, Any] = {
        "error": f"不支持的查询参数 unknown query parameter: {name!r}",
        "accepted_parameters": list(QUERY_PARAMETERS),
        "hint": "推送接口不接受查询参数 the push API takes no query parameters"}
    if name == "op":
        body["hint"] = ('删除请在请求体中写明 to delete, say so in the body: '
                        '{"op": "delete", "records": [{"id": "..."}]}')
    raise Problem(400, body)


def _reply(table: str, op: str, pushed: PushResult) -> dict[str, Any]:
    result = pushed.result
    rejected = [{"index": r.index, "id": r.record_id,
                 "violations": [v.as_dict() for v in r.violations]}
                for r in sorted(result.rejected, key=lambda r: r.index)]
    reply = {"table": table, "op": op, "accepted": result.accepted,
             "unchanged": result.unchanged, "rejected": rejected}
    if pushed.filtered:  # not sent: drugs outside his.drug_classes
        reply["filtered"] = [{"index": i, "id": key, "reason": _FILTERED} for i, key in
                             pushed.filtered]
    if pushed.excluded:  # not sent: a do-not-send rule (his.exclude)
        reply["excluded"] = [{"index": i, "id": key, "rule": rule, "reason": _EXCLUDED}
                             for i, key, rule in pushed.excluded]
    if pushed.dropped:  # sent without these codes: an optional code map left them out
        reply["codes_dropped"] = [
            {"index": i, "id": key, "field": column, "code": code,
             "code_map": f"codemaps/{code_set}.csv", "reason": _DROPPED}
            for i, key, column, code_set, code in pushed.dropped]
    if result.withheld:
        reply["withheld"] = result.withheld
    return reply


def mount(app: FastAPI) -> None:
    router = APIRouter(prefix="/api/v1", tags=["push"])

    @router.post("/events/{table}", status_code=202)
    async def push_events(table: str, request: Request) -> JSONResponse:
        """Accept one record or a batch for ``table`` (snake or camel name)."""
        check_rate(request)
        require_token(request)
        _refuse_query(request)
        spec = load_dictionary().get(table)
        if spec is None:
            raise Problem(404, {"error": f"未知的表 unknown table: {table[:80]!r}",
                                      "known": list(load_dictionary().names)})
        raw = await _read_body(request, request.app.state.settings.push.max_body_bytes)
        try:
            body = _json.loads(raw)
        except _json.JSONDecodeError as exc:
            raise Problem(400, {"error": "不是合法的 JSON invalid JSON",
                                      "detail": str(exc)[:200]}) from exc
        op, records = _records(body)
        if not records:
            raise Problem(400, {"error": "没有记录 no records in the body"})
        state, services = request.app.state, services_of(request.app)
        accept = functools.partial(accept_pushed, intake_service(request.app),
                                   services.project, spec, records, op,
                                   store=state.engine, clock=state.clock)
        pushed = await run_in_threadpool(accept)
        activity = services.activity  # hisbridge run's summary line counts them
        if activity is not None:
            activity.pushed(pushed.result.accepted, len(pushed.result.rejected))
        return JSONResponse(_reply(spec.name, op, pushed), 202)

    app.add_exception_handler(Problem, _render_problem)
    app.include_router(router)
