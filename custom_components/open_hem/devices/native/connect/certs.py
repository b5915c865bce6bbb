"""The TLS material of the S2 Connect listener: a self-signed CA and a leaf certificate.

S2 Connect allows a self-signed CA on a LAN: the RM pins it through pairing (the CA's SHA-256
travels in ``certificateFingerprint``, the leaf's SHA-256 is part of the HMAC). Made with
``cryptography`` on first use and kept in ``.storage/open_hem.s2_connect_tls/`` (the private
keys with mode 0600, the folder 0700). Everything here blocks: run it in the executor.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import ipaddress
import os
from pathlib import Path
import ssl

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ....core.s2.connect.crypto import certificate_sha256

TLS_FOLDER = "open_hem.s2_connect_tls"
CA_CERT, LEAF_CERT, LEAF_KEY, CA_KEY = "ca.pem", "leaf.pem", "leaf.key", "ca.key"
CA_YEARS, LEAF_YEARS = 20, 10


@dataclass(frozen=True)
class TlsMaterial:
    """What the listener and the pairing need."""

    context: ssl.SSLContext
    leaf_sha256: bytes
    """The raw SHA-256 of the leaf certificate (DER): F in the pairing HMAC."""
    ca_sha256_b64: str
    """The CA's SHA-256 in Base64: ``certificateFingerprint`` for the RM to pin."""
    ca_sha256_hex: str
    """The same, as the user compares it (colon-separated hex)."""


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Open HEM"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
    os.chmod(path, 0o600)  # an existing file keeps its mode on open: set it anyway


def _new_ca(folder: Path) -> None:
    now = datetime.now(UTC) - timedelta(minutes=5)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Open HEM S2 Connect CA"))
        .issuer_name(_name("Open HEM S2 Connect CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    pem, plain = serialization.Encoding.PEM, serialization.NoEncryption()
    pkcs8 = serialization.PrivateFormat.PKCS8
    _write_private(folder / CA_KEY, ca_key.private_bytes(pem, pkcs8, plain))
    (folder / CA_CERT).write_bytes(ca.public_bytes(pem))


def _new_leaf(folder: Path, hostnames: list[str]) -> None:
    """A server certificate for ``hostnames``, signed by the stored CA."""
    ca = x509.load_pem_x509_certificate((folder / CA_CERT).read_bytes())
    ca_key = serialization.load_pem_private_key((folder / CA_KEY).read_bytes(), None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    now = datetime.now(UTC) - timedelta(minutes=5)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in hostnames:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name(hostnames[0]))
        .issuer_name(ca.subject)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=365 * LEAF_YEARS))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem, plain = serialization.Encoding.PEM, serialization.NoEncryption()
    pkcs8 = serialization.PrivateFormat.PKCS8
    _write_private(folder / LEAF_KEY, leaf_key.private_bytes(pem, pkcs8, plain))
    # The chain: the leaf, then the CA (the RM pins the CA it receives).
    (folder / LEAF_CERT).write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))


def _covers(leaf: x509.Certificate, host: str) -> bool:
    try:
        names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    try:
        return ipaddress.ip_address(host) in names.get_values_for_type(x509.IPAddress)
    except ValueError:
        return host.lower() in [n.lower() for n in names.get_values_for_type(x509.DNSName)]


def load_or_create(folder: Path, hostnames: list[str]) -> TlsMaterial:
    """The stored material, made first when there is none.

    The CA stays for good (paired RMs pin it); the server certificate is issued again under it
    when Home Assistant's host (``hostnames[0]``) is not one of its names any more.
    """
    if not all((folder / name).is_file() for name in (CA_CERT, CA_KEY)):
        _new_ca(folder)
        _new_leaf(folder, hostnames)
    elif not all((folder / name).is_file() for name in (LEAF_CERT, LEAF_KEY)):
        _new_leaf(folder, hostnames)
    leaf = x509.load_pem_x509_certificate((folder / LEAF_CERT).read_bytes())
    if not _covers(leaf, hostnames[0]):
        _new_leaf(folder, hostnames)
        leaf = x509.load_pem_x509_certificate((folder / LEAF_CERT).read_bytes())
    ca = x509.load_pem_x509_certificate((folder / CA_CERT).read_bytes())
    der = serialization.Encoding.DER
    ca_sha = certificate_sha256(ca.public_bytes(der))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2  # 1.3 is offered first
    context.load_cert_chain(folder / LEAF_CERT, folder / LEAF_KEY)
    return TlsMaterial(
        context=context,
        leaf_sha256=certificate_sha256(leaf.public_bytes(der)),
        ca_sha256_b64=base64.b64encode(ca_sha).decode("ascii"),
        ca_sha256_hex=":".join(f"{b:02X}" for b in ca_sha),
    )
