"""How the hub's Kafka connections authenticate and encrypt: one model for all of them.

:class:`KafkaSecurity` (``HUB_KAFKA_*``) builds the arguments of aiokafka's producer,
consumer and admin clients and the credentials of the Faust app from the same fields, so
every connection agrees. A contradictory or incomplete combination, or a certificate or
key that does not load, raises :class:`~hub.errors.ConfigurationError` naming the
variable to fix, never the secret. :meth:`hub.config.HubSettings.security` reads it.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.errors import ConfigurationError

if TYPE_CHECKING:
    from faust.types.auth import CredentialsT

__all__ = ["KafkaSecurity"]


class KafkaSecurity(BaseSettings):
    """How to authenticate to Kafka and encrypt the connection (``HUB_KAFKA_*``).

    One model for every Kafka connection the hub makes: :meth:`client_kwargs` feeds
    aiokafka's producer, consumer and admin clients, :meth:`faust_credentials` the Faust
    app, both built from the same fields. ``SSL`` and ``SASL_SSL`` verify the broker's
    certificate (against ``ssl_cafile``, else the system CAs) and its host name;
    ``ssl_certfile`` with ``ssl_keyfile`` add a client certificate (mutual TLS).
    Contradictory or incomplete settings raise :class:`ConfigurationError` naming the
    ``HUB_KAFKA_*`` variable; the passwords are :class:`SecretStr` and never printed.
    """

    model_config = SettingsConfigDict(
        env_prefix="HUB_KAFKA_", extra="ignore", env_ignore_empty=True
    )

    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", description="Kafka security protocol."
    )
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = Field(
        None, description="SASL mechanism when the protocol is SASL_*."
    )
    sasl_username: str | None = Field(None, description="SASL user name.")
    sasl_password: SecretStr | None = Field(None, description="SASL password (never printed).")
    ssl_cafile: Path | None = Field(
        None, description="CA bundle (PEM) that signed the brokers; the system CAs when unset."
    )
    ssl_certfile: Path | None = Field(None, description="Client certificate, PEM (mutual TLS).")
    ssl_keyfile: Path | None = Field(None, description="Client private key, PEM (mutual TLS).")
    ssl_key_password: SecretStr | None = Field(
        None, description="Password of an encrypted client key (never printed)."
    )
    ssl_check_hostname: bool = Field(
        True,
        description="Check that the broker's certificate names the host connected to. "
        "The certificate chain is verified either way.",
    )

    @property
    def uses_tls(self) -> bool:
        """True for ``SSL`` and ``SASL_SSL``."""
        return self.security_protocol in ("SSL", "SASL_SSL")

    @property
    def uses_sasl(self) -> bool:
        """True for ``SASL_PLAINTEXT`` and ``SASL_SSL``."""
        return self.security_protocol.startswith("SASL")

    def check(self) -> None:
        """Refuse incomplete or contradictory settings before any connection is tried.

        Raises:
            ConfigurationError: naming the ``HUB_KAFKA_*`` variable to fix.
        """
        protocol = f"HUB_KAFKA_SECURITY_PROTOCOL={self.security_protocol}"
        sasl: dict[str, object] = {
            "sasl_mechanism": self.sasl_mechanism,
            "sasl_username": self.sasl_username,
            "sasl_password": self.sasl_password,
        }
        tls: dict[str, object] = {
            "ssl_cafile": self.ssl_cafile,
            "ssl_certfile": self.ssl_certfile,
            "ssl_keyfile": self.ssl_keyfile,
            "ssl_key_password": self.ssl_key_password,
        }
        if self.uses_sasl:
            for name, value in sasl.items():
                if not _is_set(value):
                    raise ConfigurationError(
                        f"{protocol} needs sasl_mechanism, sasl_username and sasl_password; "
                        f"{name} is not set",
                        field=_env(name),
                    )
        else:
            _refuse_unused(sasl, f"{protocol} does not use SASL (use SASL_SSL or SASL_PLAINTEXT")
        if not self.uses_tls:
            _refuse_unused(tls, f"{protocol} does not use TLS (use SSL or SASL_SSL")
            return
        if self.ssl_certfile is not None and self.ssl_keyfile is None:
            raise ConfigurationError(
                "a client certificate (HUB_KAFKA_SSL_CERTFILE) needs its private key",
                field=_env("ssl_keyfile"),
            )
        if self.ssl_keyfile is not None and self.ssl_certfile is None:
            raise ConfigurationError(
                "a client key (HUB_KAFKA_SSL_KEYFILE) needs its certificate",
                field=_env("ssl_certfile"),
            )
        if self.ssl_key_password is not None and self.ssl_keyfile is None:
            raise ConfigurationError(
                "is set, but there is no client key (HUB_KAFKA_SSL_KEYFILE)",
                field=_env("ssl_key_password"),
            )
        for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
            path = tls[name]
            if isinstance(path, Path):
                _readable(path, _env(name))

    def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context for ``SSL`` and ``SASL_SSL`` (None otherwise).

        A new context per call: it verifies the broker's chain and (unless
        ``ssl_check_hostname`` is false) its host name, and presents the client
        certificate when one is configured.

        Raises:
            ConfigurationError: a file cannot be loaded, naming its variable and why.
        """
        self.check()
        if not self.uses_tls:
            return None
        try:
            context = ssl.create_default_context(
                cafile=str(self.ssl_cafile) if self.ssl_cafile else None
            )
        except (ssl.SSLError, OSError) as exc:
            raise ConfigurationError(
                f"{self.ssl_cafile} holds no usable PEM CA certificate ({_reason(exc)})",
                field=_env("ssl_cafile"),
            ) from exc
        context.check_hostname = self.ssl_check_hostname
        if self.ssl_certfile is not None and self.ssl_keyfile is not None:
            _load_client_certificate(
                context, self.ssl_certfile, self.ssl_keyfile, self.ssl_key_password
            )
        return context

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for any aiokafka client (producer, consumer, admin).

        Raises:
            ConfigurationError: incomplete, contradictory or unloadable settings.
        """
        kwargs: dict[str, Any] = {"security_protocol": self.security_protocol}
        context = self.ssl_context()  # checks every combination first
        if context is not None:
            kwargs["ssl_context"] = context
        if self.uses_sasl:
            assert self.sasl_password is not None  # check() refused it otherwise
            kwargs["sasl_mechanism"] = self.sasl_mechanism
            kwargs["sasl_plain_username"] = self.sasl_username
            kwargs["sasl_plain_password"] = self.sasl_password.get_secret_value()
        return kwargs

    def faust_credentials(self) -> CredentialsT | None:
        """The same settings as Faust's ``broker_credentials`` (None for PLAINTEXT).

        ``SSL`` gives :class:`faust.SSLCredentials`; ``SASL_*`` gives
        :class:`faust.SASLCredentials` with the mechanism, and with the TLS context for
        ``SASL_SSL``. Faust hands them to every aiokafka client it makes (consumer,
        producer, topic creation); ``hubkafka://`` inherits that unchanged.

        Raises:
            ConfigurationError: incomplete, contradictory or unloadable settings.
        """
        import faust  # heavy: only the cross-check service needs it

        context = self.ssl_context()  # checks every combination first
        if self.uses_sasl:
            assert self.sasl_password is not None  # check() refused it otherwise
            credentials: CredentialsT = faust.SASLCredentials(
                username=self.sasl_username,
                password=self.sasl_password.get_secret_value(),
                ssl_context=context,
                mechanism=self.sasl_mechanism,
            )
            return credentials
        if context is not None:
            tls: CredentialsT = faust.SSLCredentials(context)
            return tls
        return None


class _KeyIsEncrypted(Exception):
    """Raised instead of OpenSSL's terminal prompt when an encrypted key has no password."""


def _no_key_password() -> str:
    raise _KeyIsEncrypted


def _refuse_unused(values: dict[str, object], why: str) -> None:
    """Refuse the first of ``values`` that is set: ``why`` the protocol ignores it."""
    for name, value in values.items():
        if _is_set(value):
            raise ConfigurationError(f"is set, but {why}, or unset it)", field=_env(name))


def _is_set(value: object) -> bool:
    """False for None and empty strings or secrets."""
    if isinstance(value, SecretStr):
        return bool(value.get_secret_value())
    return value is not None and value != ""


def _env(name: str) -> str:
    """The environment variable of a :class:`KafkaSecurity` field."""
    return f"HUB_KAFKA_{name.upper()}"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLError) and exc.reason:
        return str(exc.reason)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return type(exc).__name__


def _readable(path: Path, field: str) -> None:
    """Raise :class:`ConfigurationError` on ``field`` unless ``path`` is a readable file."""
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError as exc:
        raise ConfigurationError(
            f"{path} is not a readable file ({_reason(exc)})", field=field
        ) from exc


def _load_client_certificate(
    context: ssl.SSLContext, certfile: Path, keyfile: Path, password: SecretStr | None
) -> None:
    """Load the client certificate and key into ``context``, naming the culprit on error."""
    secret = password.get_secret_value() if password is not None else None
    try:
        context.load_cert_chain(
            str(certfile), str(keyfile), password=_no_key_password if secret is None else secret
        )
    except (ssl.SSLError, OSError, _KeyIsEncrypted) as exc:
        raise _client_certificate_error(certfile, keyfile, secret) from exc


def _client_certificate_error(
    certfile: Path, keyfile: Path, secret: str | None
) -> ConfigurationError:
    """Say which of certificate, key and key password is wrong (never the password)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        certificate = x509.load_pem_x509_certificate(certfile.read_bytes())
    except (ValueError, OSError):
        return ConfigurationError(
            f"{certfile} holds no PEM certificate", field=_env("ssl_certfile")
        )
    data = keyfile.read_bytes()
    encrypted = b"ENCRYPTED" in data
    if encrypted and secret is None:
        return ConfigurationError(
            f"{keyfile} is encrypted and no key password is set", field=_env("ssl_key_password")
        )
    try:
        key = serialization.load_pem_private_key(
            data, secret.encode() if secret and encrypted else None
        )
    except (ValueError, TypeError):
        if encrypted:
            return ConfigurationError(f"does not decrypt {keyfile}", field=_env("ssl_key_password"))
        return ConfigurationError(f"{keyfile} holds no PEM private key", field=_env("ssl_keyfile"))
    der, spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(der, spki) != certificate.public_key().public_bytes(der, spki):
        return ConfigurationError(
            f"{keyfile} is not the key of the certificate {certfile}", field=_env("ssl_keyfile")
        )
    return ConfigurationError(
        f"the client certificate {certfile} and key {keyfile} do not load",
        field=_env("ssl_keyfile"),
    )
