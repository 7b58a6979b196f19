"""One HMAC signer: the console alert webhook signs as the HIS message webhook does."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from datetime import UTC, datetime

import httpx

from hisbridge._signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature, signed_headers
from hisbridge.ops.alerts.webhook import WebhookNotifier
from hisbridge.warnings import webhook as message_webhook


def _alert_request(secret: str | None) -> httpx.Request:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    notifier = WebhookNotifier("http://127.0.0.1:9/hook", secret,
                               transport=httpx.MockTransport(handler))
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert asyncio.run(notifier.send({"firing": []}, at))
    return seen[0]


def test_the_message_webhook_uses_the_one_signer() -> None:
    assert message_webhook.signature is signature


def test_alert_webhook_signature_verifies_with_the_one_signer() -> None:
    request = _alert_request("alert-secret")
    stamp = request.headers[TIMESTAMP_HEADER]
    body = request.content
    expected = hmac.new(b"alert-secret", stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert request.headers[SIGNATURE_HEADER] == "sha256=" + expected
    assert request.headers["X-Hisbridge-Signature"] == signature("alert-secret", stamp, body)
    assert stamp == str(int(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp()))


def test_alert_webhook_without_secret_sends_no_signature() -> None:
    assert SIGNATURE_HEADER not in _alert_request(None).headers
    assert SIGNATURE_HEADER not in _alert_request("").headers


def test_signed_headers_sign_with_an_empty_secret_but_not_without_one() -> None:
    assert signed_headers("", 7, b"{}")[SIGNATURE_HEADER] == signature("", "7", b"{}")
    assert signed_headers(None, 7, b"{}") == {TIMESTAMP_HEADER: "7"}
