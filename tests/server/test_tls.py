"""HTTPS with a configured certificate: a throwaway CA signs the server's certificate."""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cli.bootstrap import create_schema
from cli.config import UserEntry, create_config
from cli.remote import run_remote
from server.run import Listen
from storage.store import StoreConfig
from tests.server.live import live_server
from workflows.access import Role


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def throwaway_ca(folder: Path) -> tuple[Path, Path, Path]:
    """A CA certificate, and a server certificate and key for localhost signed by it."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder().subject_name(_name("forloeb test CA")).issuer_name(
            _name("forloeb test CA")
        ).public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder().subject_name(_name("localhost")).issuer_name(ca.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_file, cert_file, key_file


def test_https_with_the_cas_certificate_and_refused_without(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca_file, cert_file, key_file = throwaway_ca(tmp_path)
    store = StoreConfig(sqlite_path=tmp_path / "forloeb.sqlite")
    create_schema(store)
    config = tmp_path / "forloeb.toml"
    create_config(config, {"root": UserEntry(role=Role.ADMIN)})
    listen = Listen("127.0.0.1", 0, certificate=cert_file, key=key_file)
    with live_server(store, config, listen) as server:
        monkeypatch.setenv("FORLOEB_TOKEN", server.token("root"))
        assert server.url.startswith("https://localhost:")

        monkeypatch.setenv("FORLOEB_CA_FILE", str(ca_file))
        listed = run_remote(server.url, ["courses", "--format", "json"])
        assert listed == (0, '{\n  "courses": []\n}\n', "")

        monkeypatch.delenv("FORLOEB_CA_FILE")
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "none.pem"))
        code, out, err = run_remote(server.url, ["courses"])
        assert (code, out) == (1, "")
        assert err.startswith(f"error: cannot reach {server.url}: ")
        assert "CERTIFICATE" in err.upper()
