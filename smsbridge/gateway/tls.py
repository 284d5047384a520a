"""A self-signed certificate for ``smsbridge serve --tls-self-signed``.

Vonage's SDKs (every version) hard-code ``https://`` (shared/providers.md §2.3), so a
local gateway must speak TLS for them.  The certificate covers ``127.0.0.1``, ``::1``
and ``localhost``; clients trust it by pointing ``REQUESTS_CA_BUNDLE`` at the cert file.
Made with ``cryptography`` (part of the ``server`` extra).
"""
from __future__ import annotations

import datetime
import ipaddress
import os
import tempfile

__all__ = ["self_signed"]


def self_signed(directory: str | None = None) -> tuple[str, str]:
    """Write ``cert.pem`` and ``key.pem`` (valid 30 days) into ``directory`` (made 0700;
    the key is 0600) and return their paths.  Without a directory a fresh temporary one
    is made: the caller removes it (``smsbridge serve`` does on exit)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory = directory or tempfile.mkdtemp(prefix="smsbridge-tls-")
    os.makedirs(directory, mode=0o700, exist_ok=True)
    os.chmod(directory, 0o700)  # the private key inside is 0600; nobody else may list or replace it
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "smsbridge local gateway")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.IPAddress(ipaddress.ip_address("::1")),
        ]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = os.path.join(directory, "cert.pem")
    key_path = os.path.join(directory, "key.pem")
    with open(cert_path, "wb") as fh:
        fh.write(cert.public_bytes(serialization.Encoding.PEM))
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))
    return cert_path, key_path
