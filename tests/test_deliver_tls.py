"""STARTTLS and implicit TLS with login, against aiosmtpd with a throw-away self-signed cert."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

import pytest
from test_deliver_smtp import PEOPLE, config, edition, ledger_of

from newsletter.deliver import Backoff, send_edition
from newsletter.deliver.smtp import SMTPBackend

from smtp_server import SMTPTestServer

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_with_login_delivers(certificate, tmp_path, monkeypatch, security):
    cert, key = certificate
    # The system trust store does not know our certificate; SSL_CERT_FILE is how a user
    # points the sender at a private CA, and it is what this test relies on.
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    with SMTPTestServer(
        tls=security, certfile=cert, keyfile=key, users={"mailer": "s3cret"}
    ) as server:
        cfg = config(server, smtp={"security": security, "username": "mailer"})
        report = send_edition(
            edition(), cfg, out_dir=tmp_path, environ={"NEWSLETTER_SMTP_PASSWORD": "s3cret"}
        )
        assert report.ok, report.summary()
        assert len(server.messages) == len(PEOPLE)


def test_wrong_password_stops_the_run_and_is_never_printed(certificate, tmp_path, monkeypatch):
    cert, key = certificate
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    with SMTPTestServer(
        tls="starttls", certfile=cert, keyfile=key, users={"mailer": "s3cret"}
    ) as server:
        cfg = config(server, smtp={"security": "starttls", "username": "mailer"})
        report = send_edition(
            edition(),
            cfg,
            out_dir=tmp_path,
            environ={"NEWSLETTER_SMTP_PASSWORD": "wrong-pw"},
            backoff=Backoff(0.01, 0.02),
        )
        assert not report.ok and server.messages == []
        reasons = " ".join(report.failed_temporary.values())
        assert "login as 'mailer' refused" in reasons and "wrong-pw" not in reasons
        assert "wrong-pw" not in (tmp_path / "ledger" / "2026-02-09.json").read_text()
        assert len(ledger_of(tmp_path)) == len(PEOPLE)


def test_untrusted_certificate_is_refused(certificate, tmp_path):
    cert, key = certificate
    with SMTPTestServer(tls="ssl", certfile=cert, keyfile=key) as server:
        cfg = config(server, smtp={"security": "ssl"})
        backend = SMTPBackend(
            cfg.smtp, ssl_context=ssl.create_default_context(cafile=None, cadata=None)
        )
        report = send_edition(edition(), cfg, out_dir=tmp_path, backend=backend)
        assert not report.ok and server.messages == []
        assert "certificate" in " ".join(report.failed_temporary.values())
