"""TLS on the gateway's HTTP port by configuration (``web.tls_cert`` / ``web.tls_key``).

A self-signed certificate for 127.0.0.1 is made in the test; ``hisbridge run`` (a real child
process) must then answer HTTPS with it, and a plain-HTTP request to the same port must fail.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fault_kit import free_port, port_open, start_gateway, stop, wait_for


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "gw.crt", folder / "gw.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


def test_the_gateway_serves_https_only_with_a_configured_certificate(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    config = tmp_path / "gw.yaml"
    config.write_text(f"store:\n  url: sqlite:///{tmp_path / 'store.db'}\n"
                      f"web:\n  tls_cert: {cert}\n  tls_key: {key}\n"
                      "gdhealth:\n  enabled: false\n", "utf-8")
    port = free_port()
    gateway = start_gateway(config, port, tmp_path / "gw.log")
    try:
        assert wait_for(lambda: port_open(port), 60), (tmp_path / "gw.log").read_text()
        trusted = ssl.create_default_context(cafile=str(cert))
        reply = httpx.get(f"https://127.0.0.1:{port}/healthz", verify=trusted, timeout=10)
        assert reply.status_code == 200, reply.text
        assert reply.http_version in ("HTTP/1.1", "HTTP/2")
        plain_failed = False
        try:
            plain = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
            plain_failed = plain.status_code >= 400
        except httpx.HTTPError:
            plain_failed = True
        assert plain_failed, "plain HTTP must not be served on the TLS port"
        untrusted_failed = False
        try:
            httpx.get(f"https://127.0.0.1:{port}/healthz", timeout=5)  # system CAs only
        except httpx.HTTPError:
            untrusted_failed = True
        assert untrusted_failed, "a client that does not trust the certificate must refuse it"
    finally:
        stop(gateway)
