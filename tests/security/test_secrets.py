"""Secrets (issue 14, item 1): none has a usable default, ``init`` generates each, ``run``
refuses a missing, short or formerly published one, ``check`` reports them without showing them.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest
import yaml
from cli_run import hisbridge_cli, start_cli

from hisbridge._gm import FieldCipher
from hisbridge.settings import load_settings
from hisbridge.settings.secrets import (
    FORMER_DEFAULTS,
    SecretEntry,
    entry,
    judge,
    new_secret,
    require_secrets,
    secret_entries,
    secret_verdicts,
)
from hisbridge.testing import free_ports, secret_settings
from hisbridge.web.signing import signed_query

GENERATED = ("web.secret_key", "push.token", "gdhealth.partner_secret",
             "gdhealth.callback_secret", "gdhealth.sm4_key")
# Every value that shipped as a secret's default before issue 14, and the setting it was.
SHIPPED = [("web.secret_key", "change-me-in-production"),
           ("gdhealth.partner_secret", "change-me-partner-secret"),
           ("gdhealth.callback_secret", "change-me-callback-secret"),
           ("gdhealth.sm4_key", "0123456789abcdef")]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh ``hisbridge init`` project; its front-end is a closed loopback port."""
    folder = tmp_path_factory.mktemp("init") / "project"
    done = hisbridge_cli("init", str(folder), "--frontend-url", "http://127.0.0.1:9")
    assert done.returncode == 0, done.stderr
    return folder / "hisbridge.yaml"


def _with(config: Path, target: str, name: str, value: str | None) -> Path:
    """A copy of ``config`` named ``target`` next to it (mapping paths stay valid), with
    ``name`` set to ``value`` (None: removed)."""
    values = yaml.safe_load(config.read_text("utf-8"))
    section, key = name.split(".")
    if value is None:
        values[section].pop(key, None)
    else:
        values.setdefault(section, {})[key] = value
    path = config.with_name(target)
    path.write_text(yaml.safe_dump(values, allow_unicode=True), "utf-8")
    return path


# -- the rule --------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "value", "verdict"), [
    ("web.secret_key", None, "missing"),
    ("web.secret_key", "", "missing"),
    ("web.secret_key", "x" * 31, "weak"),
    ("web.secret_key", "a" * 40, "weak"),  # one character repeated
    ("web.secret_key", "Change-Me-In-Production", "weak"),
    ("web.secret_key", "please-change-me-before-going-live-ok", "weak"),
    ("push.token", "short-token", "weak"),
    ("gdhealth.sm4_key", "0123456789abcdef", "weak"),
    ("gdhealth.sm4_key", "seventeen-bytes!!", "weak"),
    ("gdhealth.sm4_key", "9f" * 15 + "zz", "weak"),
    ("gdhealth.sm4_key", "5d1c9a7be2f04b36a8c1e9d27f30b4a6", "set"),
    ("gdhealth.sm4_key", "Hq7#vR2m!Lp9xW4z", "set"),
    ("web.secret_key", "Jx9hVt2QmZr4Lw8KpN3sYb6DfG1cHa5E0uTq", "set"),
    ("web.previous_secret_keys[0]", "change-me-in-production", "weak"),
])
def test_judge(name: str, value: str | None, verdict: str) -> None:
    assert judge(entry(name, value)).verdict == verdict


@pytest.mark.parametrize("value", sorted(FORMER_DEFAULTS))
def test_every_former_default_or_example_is_weak(value: str) -> None:
    for name in GENERATED:
        assert judge(entry(name, value)).verdict == "weak", (name, value)


# The fixed values hisbridge.testing shipped (in the package) before its secrets were drawn at
# random: a gateway configured with one of them is open to anyone who read that release.
SHIPPED_TEST_VALUES = {
    "web.secret_key": "testing-only-web-secret-key-1234567890",
    "push.token": "testing-only-push-token-1234567890",
    "gdhealth.partner_secret": "testing-only-partner-secret-123",
    "gdhealth.callback_secret": "testing-only-callback-secret-123",
    "gdhealth.sm4_key": "testing-only-sm4",
}


@pytest.mark.parametrize("name", sorted(SHIPPED_TEST_VALUES))
def test_the_test_values_that_once_shipped_are_weak(name: str) -> None:
    assert judge(entry(name, SHIPPED_TEST_VALUES[name])).verdict == "weak"


def test_an_optional_secret_unset_is_off_but_judged_when_set() -> None:
    assert judge(SecretEntry("console.api_token", None, 24, required=False)).verdict == "off"
    assert judge(SecretEntry("console.api_token", "abc", 24, required=False)).verdict == "weak"


def test_gdhealth_secrets_are_required_only_with_gdhealth_on() -> None:
    on = {v.name: v.verdict for v in secret_verdicts(secret_entries(secret_settings(
        gdhealth={"partner_secret": "", "callback_secret": "", "sm4_key": ""}), environ={}))}
    off = {v.name: v.verdict for v in secret_verdicts(secret_entries(secret_settings(
        gdhealth={"enabled": False, "partner_secret": "", "callback_secret": "", "sm4_key": ""}),
        environ={}))}
    assert on["gdhealth.sm4_key"] == "missing" and off["gdhealth.sm4_key"] == "off"


def test_a_webhook_url_needs_its_secret() -> None:
    settings = secret_settings(interaction={"webhook": {"url": "http://127.0.0.1:9/hook"}})
    verdicts = {v.name: v.verdict for v in secret_verdicts(secret_entries(settings, environ={}))}
    assert verdicts["interaction.webhook.secret"] == "missing"


def test_one_error_names_every_bad_secret_and_the_command() -> None:
    settings = secret_settings(web={"secret_key": "change-me-in-production"},
                               gdhealth={"sm4_key": ""})
    with pytest.raises(Exception) as caught:
        require_secrets(settings, environ={})
    text = str(caught.value)
    assert "web.secret_key" in text and "gdhealth.sm4_key" in text
    assert "hisbridge secrets new web.secret_key" in text and "refusing to start" in text
    assert "change-me-in-production" not in text  # the value itself is never repeated


def test_new_secrets_are_random_and_in_the_right_form() -> None:
    assert new_secret("web.secret_key") != new_secret("web.secret_key")
    key = new_secret("gdhealth.sm4_key")
    assert len(key) == 32 and int(key, 16) >= 0
    cipher = FieldCipher(key)
    assert cipher.decrypt(cipher.encrypt("440106199001011234")) == "440106199001011234"
    for name in GENERATED:
        assert judge(entry(name, new_secret(name))).verdict == "set"


# -- init, check, run --------------------------------------------------------------------------


def test_init_generates_every_secret(project: Path, tmp_path: Path) -> None:
    verdicts = {v.name: v.verdict
                for v in secret_verdicts(secret_entries(load_settings(project), environ={}))}
    assert all(verdicts[name] == "set" for name in GENERATED), verdicts
    other = tmp_path / "other"
    assert hisbridge_cli("init", str(other)).returncode == 0
    mine, theirs = load_settings(project), load_settings(other / "hisbridge.yaml")
    assert mine.web.secret_key != theirs.web.secret_key
    assert mine.gdhealth.sm4_key != theirs.gdhealth.sm4_key


def test_init_force_keeps_usable_secrets_and_replaces_weak_ones(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    assert hisbridge_cli("init", str(folder)).returncode == 0
    config = folder / "hisbridge.yaml"
    before = load_settings(config)
    _with(config, config.name, "web.secret_key", "change-me-in-production")
    assert hisbridge_cli("init", str(folder), "--force").returncode == 0
    after = load_settings(config)
    assert after.push.token == before.push.token and after.gdhealth.sm4_key == before.gdhealth.sm4_key
    assert judge(entry("web.secret_key", after.web.secret_key)).verdict == "set"


def test_check_reports_each_secret_without_printing_it(project: Path, tmp_path: Path) -> None:
    config = _with(project, "weak.yaml", "web.secret_key", "change-me-in-production")
    done = hisbridge_cli("check", "-c", str(config), "--limit", "1")
    out = done.stdout
    assert done.returncode == 1 and "未就绪 not ready" in out
    assert "web.secret_key: 不安全 weak" in out and "gdhealth.sm4_key: 已设置 set" in out
    settings = load_settings(project)
    for value in (settings.gdhealth.sm4_key, settings.gdhealth.partner_secret, settings.push.token):
        assert value is not None and value.get_secret_value() not in out
    assert "change-me-in-production" not in out


@pytest.mark.parametrize(("name", "value"), [*SHIPPED, ("push.token", "__PUSH_TOKEN__"),
                                             ("web.secret_key", None)])
def test_run_refuses_a_former_default_or_missing_secret(project: Path, tmp_path: Path, name: str,
                                                        value: str | None) -> None:
    config = _with(project, f"bad-{name}.yaml", name, value)
    port = free_ports(1)[0]
    done = hisbridge_cli("run", "-c", str(config), "--port", str(port), timeout=45)
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and name in lines[0] and "Traceback" not in done.stderr
    assert f"hisbridge secrets new {name}" in lines[0]


def _refuses_former_default_keys(base: str) -> None:
    """A link signed with any value that ever shipped as a default or example is refused,
    and one signed with the project's own key is accepted (so the refusal means something)."""
    now = time.time()
    for key in sorted(FORMER_DEFAULTS):
        query = signed_query({"userId": "D001", "deptCode": "A03"}, key, now=now)
        got = httpx.get(f"{base}/api/v1/warnings?{query}", timeout=5)
        assert got.status_code == 403, (key, got.status_code)


def _login(client: httpx.Client, base: str, name: str, password: str, forwarded: str) -> int:
    client.cookies.clear()
    page = client.get(f"{base}/console/login", timeout=10)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None, page.text
    reply = client.post(f"{base}/console/login", timeout=10,
                        data={"user": name, "password": password, "csrf": csrf.group(1)},
                        headers={"X-Forwarded-For": forwarded})
    return reply.status_code


def _forwarded_for_does_not_dodge_the_address_throttle(base: str) -> None:
    """Without a declared proxy, a client-sent X-Forwarded-For is not its address: guessing
    many names under made-up addresses still throttles the one real address."""
    with httpx.Client() as client:
        for i in range(21):
            assert _login(client, base, f"guess{i}", "wrong-password-1", f"10.0.0.{i}") == 401
        assert _login(client, base, "admin", ADMIN_PASSWORD, "10.0.1.1") == 401


ADMIN_PASSWORD = "Zq8!vTr2#kLm9Wp-orbit"


def test_run_starts_on_a_fresh_init(project: Path, tmp_path: Path) -> None:
    own_key = load_settings(project).web.secret_key.get_secret_value()
    added = hisbridge_cli("user", "add", "admin", "--role", "admin", "--password-stdin", "-c",
                          str(project), stdin=ADMIN_PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    port = free_ports(1)[0]
    process = start_cli("run", "-c", str(project), "--port", str(port), log=tmp_path / "run.log")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert process.poll() is None, (tmp_path / "run.log").read_text("utf-8")
        base = f"http://127.0.0.1:{port}"
        _refuses_former_default_keys(base)
        query = signed_query({"userId": "D001", "deptCode": "A03"}, own_key, now=time.time())
        assert httpx.get(f"{base}/api/v1/warnings?{query}", timeout=5).status_code == 200
        _forwarded_for_does_not_dodge_the_address_throttle(base)
    finally:
        process.terminate()
        process.wait(30)


def test_a_secrets_file_fills_a_secret_left_empty_in_the_yaml(tmp_path: Path) -> None:
    """Moving a secret out of the YAML into HISBRIDGE_SECRETS_DIR: an emptied value (`""`, what
    an engineer leaves behind) counts as unset, so the file's value is used, not refused."""
    import subprocess
    import sys

    from cli_run import cli_env

    config = tmp_path / "hisbridge.yaml"
    config.write_text('web:\n  secret_key: ""\npush:\n  token: ""\n', "utf-8")
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir()
    key = new_secret("web.secret_key")
    (secrets_dir / "web__secret_key").write_text(key, "utf-8")
    code = ("import sys; from hisbridge.settings import load_settings; "
            "s = load_settings(__import__('pathlib').Path(sys.argv[1])); "
            "print(s.web.secret_key.get_secret_value()); print(repr(s.push.token))")
    done = subprocess.run([sys.executable, "-c", code, str(config)], capture_output=True,
                          text=True, timeout=60,
                          env=cli_env({"HISBRIDGE_SECRETS_DIR": str(secrets_dir)}))
    assert done.returncode == 0, done.stderr
    shown, token = done.stdout.splitlines()
    assert shown == key and token in ("None", "SecretStr('')")
