"""One retry policy for the three callers: delivery, the message poller and the HIS webhook.

Each caller keeps the delays it had before ``RetryPolicy.backoff`` became the one formula; the
expected columns are the formulas each caller used to write for itself.
"""

from __future__ import annotations

from random import Random

import pytest

from hisbridge.connectors.frontend.interaction_config import WebhookSettings
from hisbridge.delivery.retry import RetryPolicy
from hisbridge.warnings.poller import BackoffPolicy
from hisbridge.warnings.webhook import retry_policy

ATTEMPTS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 20, 40, 63, 64, 100]


class _Max(Random):
    def random(self) -> float:
        return 1.0


@pytest.mark.parametrize("n", ATTEMPTS)
def test_delivery_waits_base_doubling_to_the_cap_less_jitter(n: int) -> None:
    policy = RetryPolicy(base_s=2.0, cap_s=600.0, jitter=0.3)
    raw = min(600.0, 2.0 * 2.0 ** min(n - 1, 62))
    assert policy.delay(n, Random(0)) <= raw
    assert policy.delay(n, _Max()) == pytest.approx(raw * 0.7)


@pytest.mark.parametrize("n", ATTEMPTS)
@pytest.mark.parametrize("terminal", [False, True])
def test_poller_waits_as_before(n: int, terminal: bool) -> None:
    policy = BackoffPolicy(interval_s=5.0, base_s=2.0, cap_s=300.0)
    cap = 300.0 if terminal else min(300.0, 5.0)
    assert policy.delay(n, terminal=terminal) == float(min(cap, 2.0 * 2 ** min(n - 1, 30)))


@pytest.mark.parametrize("n", ATTEMPTS)
def test_webhook_waits_as_before(n: int) -> None:
    settings = WebhookSettings(url="http://127.0.0.1:9/hook", backoff_base_s=3.0,
                               backoff_cap_s=500.0)
    assert retry_policy(settings).backoff(n) == min(500.0, 3.0 * 2 ** (n - 1))
    assert retry_policy(settings).max_attempts == settings.max_attempts
