"""The connector config file: one TOML file describing every connector a process runs.

Layout (``examples/connectors.toml`` is a complete, commented example)::

    version = 1

    [connectors.population]            # the table key is the connector's name
    type = "population"                # entry-point name; defaults to the table key
    enabled = true
    owner = "Ministry of Public Security (C06)"   # overrides the declaration's owner
    [connectors.population.options]    # validated by the connector's options model
    page_size = 500
    [connectors.population.runtime]    # hub.connect.runtime_options.RuntimeOptions
    rate_limit_per_s = 20
    [connectors.population.secrets]    # references only: never a literal secret
    api_token = { env = "POPULATION_API_TOKEN" }

Validation collects *every* problem, each with its dotted path (``connectors.population.
runtime.batch_size``) and a reason, never with the offending value, so that a secret
pasted into the wrong field is not echoed. Secrets resolve to :class:`SecretStr`; a secret
whose name is a field of the connector's options model is handed to it in ``options``.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from hub.connect.contract import ConnectorSpec
from hub.connect.host import ConnectorJob
from hub.connect.runtime_options import RuntimeOptions
from hub.errors import ConfigurationError

_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")


class SecretRef(BaseModel):
    """Where a secret comes from: an environment variable or a file (one of them)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    env: str | None = Field(None, min_length=1, description="Environment variable name.")
    file: Path | None = Field(None, description="File holding the secret (e.g. a mount).")

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretRef:
        if (self.env is None) == (self.file is None):
            raise ValueError("give exactly one of 'env' or 'file'")
        return self


class ConnectorConfig(BaseModel):
    """One ``[connectors.<name>]`` table, before the options are checked by the connector."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str | None = Field(None, description="Entry-point name; defaults to the name.")
    enabled: bool = Field(True, description="Run it with `hub connectors run`.")
    owner: str | None = Field(None, min_length=1, description="Overrides the owner.")
    options: dict[str, Any] = Field(default_factory=dict, description="Source options.")
    runtime: RuntimeOptions = Field(default_factory=RuntimeOptions, description="Runtime.")
    secrets: dict[str, SecretRef] = Field(default_factory=dict, description="Secret refs.")


@dataclass(frozen=True)
class ConfigIssue:
    """One invalid field: dotted path, reason and a stable code (pydantic's or ours)."""

    path: str
    reason: str
    code: str

    def as_dict(self) -> dict[str, str]:
        """The issue as JSON-ready data."""
        return {"path": self.path, "reason": self.reason, "code": self.code}


@dataclass(frozen=True)
class ResolvedConnector:
    """A valid connector entry, its declaration found and its secrets resolved."""

    name: str
    spec: ConnectorSpec
    enabled: bool
    owner: str
    options: dict[str, Any]
    runtime: RuntimeOptions
    secrets: dict[str, SecretStr] = field(default_factory=dict)

    def job(self) -> ConnectorJob:
        """The job the host runs, with secrets the options model declares handed over."""
        options = {**self.options, **_for_options(self.spec, self.secrets)}
        return ConnectorJob(self.spec, options, self.runtime)


@dataclass
class ConfigReport:
    """The outcome of validating a file: the connectors and every issue found."""

    connectors: list[ResolvedConnector] = field(default_factory=list)
    issues: list[ConfigIssue] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """True when no issue was found."""
        return not self.issues


def validate_file(
    path: Path, known: Mapping[str, ConnectorSpec], environ: Mapping[str, str] | None = None
) -> ConfigReport:
    """Read and validate a connector config file, collecting every issue."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        return ConfigReport(issues=[ConfigIssue("", f"cannot read the file: {exc.strerror}", "io")])
    except tomllib.TOMLDecodeError as exc:
        return ConfigReport(issues=[ConfigIssue("", f"not valid TOML: {exc}", "toml")])
    return validate_data(raw, known, os.environ if environ is None else environ)


def validate_data(
    raw: Mapping[str, Any], known: Mapping[str, ConnectorSpec], environ: Mapping[str, str]
) -> ConfigReport:
    """Validate parsed config data (see :func:`validate_file`)."""
    report = ConfigReport()
    for key in raw:
        if key not in ("version", "connectors"):
            report.issues.append(ConfigIssue(key, "unknown field", "extra_forbidden"))
    if raw.get("version", 1) != 1:
        report.issues.append(ConfigIssue("version", "only version 1 is known", "version"))
    tables = raw.get("connectors")
    if not isinstance(tables, dict) or not tables:
        reason = "a [connectors.<name>] table is required" if tables is None else "expected a table"
        report.issues.append(ConfigIssue("connectors", reason, "missing"))
        return report
    types: dict[str, str] = {}
    for name, entry in tables.items():
        where = f"connectors.{name}"
        if not _NAME.match(name):
            report.issues.append(ConfigIssue(where, "names are lower-case [a-z0-9_-]", "name"))
        if not isinstance(entry, dict):
            report.issues.append(ConfigIssue(where, "expected a table", "dict_type"))
            continue
        resolved = _check_entry(name, entry, known, environ, report.issues)
        if resolved is None:
            continue
        if resolved.spec.name in types:
            report.issues.append(
                ConfigIssue(
                    f"{where}.type",
                    f"connector type {resolved.spec.name} is already configured as "
                    f"{types[resolved.spec.name]}: its topics and cursors are named after it",
                    "duplicate_type",
                )
            )
            continue
        types[resolved.spec.name] = name
        report.connectors.append(resolved)
    if report.issues:
        report.connectors.clear()
    return report


def load_file(path: Path, known: Mapping[str, ConnectorSpec]) -> list[ResolvedConnector]:
    """The connectors of a valid file.

    Raises:
        ConfigurationError: listing every issue (path and reason).
    """
    report = validate_file(path, known)
    if not report.valid:
        listed = "; ".join(f"{i.path or path.name}: {i.reason}" for i in report.issues)
        count = len(report.issues)
        raise ConfigurationError(f"{count} invalid field(s): {listed}", field=str(path))
    return report.connectors


def _check_entry(
    name: str,
    entry: dict[str, Any],
    known: Mapping[str, ConnectorSpec],
    environ: Mapping[str, str],
    issues: list[ConfigIssue],
) -> ResolvedConnector | None:
    where = f"connectors.{name}"
    before = len(issues)
    config: ConnectorConfig | None = None
    try:
        config = ConnectorConfig.model_validate(entry)
    except ValidationError as exc:
        issues.extend(_issues(exc, where))
    kind = entry.get("type", name)
    spec = known.get(kind) if isinstance(kind, str) else None
    if spec is None and isinstance(kind, str):
        issues.append(
            ConfigIssue(
                f"{where}.type" if "type" in entry else where,
                f"unknown connector type {kind!r}; known: {', '.join(known) or 'none'}",
                "unknown_connector",
            )
        )
    secrets = _resolve_secrets(entry.get("secrets"), where, environ, issues)
    options = entry.get("options", {})
    if spec is not None and isinstance(options, dict):
        issues.extend(_option_issues(spec, {**options, **_for_options(spec, secrets)}, where))
    if config is None or spec is None or len(issues) > before:
        return None
    return ResolvedConnector(
        name, spec, config.enabled, config.owner or spec.owner, dict(config.options),
        config.runtime, secrets,
    )  # fmt: skip


def _resolve_secrets(
    raw: Any, where: str, environ: Mapping[str, str], issues: list[ConfigIssue]
) -> dict[str, SecretStr]:
    """Resolve the well-formed references; malformed ones were reported structurally."""
    resolved: dict[str, SecretStr] = {}
    if not isinstance(raw, dict):
        return resolved
    for secret, ref in raw.items():
        try:
            parsed = SecretRef.model_validate(ref)
        except ValidationError:
            continue
        path = f"{where}.secrets.{secret}"
        if parsed.env is not None:
            value = environ.get(parsed.env)
            if not value:
                reason = f"environment variable {parsed.env} is not set"
                issues.append(ConfigIssue(path, reason, "secret_unset"))
                continue
        else:
            assert parsed.file is not None
            try:
                value = parsed.file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                issues.append(
                    ConfigIssue(path, f"cannot read {parsed.file}: {exc.strerror}", "secret_file")
                )
                continue
            if not value:
                issues.append(ConfigIssue(path, f"{parsed.file} is empty", "secret_unset"))
                continue
        resolved[secret] = SecretStr(value)
    return resolved


def _option_issues(spec: ConnectorSpec, options: dict[str, Any], where: str) -> list[ConfigIssue]:
    """Check ``options`` with the connector's options model, or by building its adapter."""
    prefix = f"{where}.options"
    try:
        if spec.options_model is not None:
            spec.options_model.model_validate(options)
        else:
            spec.make_adapter(options)
    except ValidationError as exc:
        return _issues(exc, prefix)
    except ConfigurationError as exc:
        if isinstance(exc.__cause__, ValidationError):
            return _issues(exc.__cause__, prefix)
        return [ConfigIssue(prefix, str(exc), "invalid")]
    except Exception as exc:  # a connector's own check: report it, never crash validate
        return [ConfigIssue(prefix, f"rejected by the connector ({type(exc).__name__})", "invalid")]
    return []


def _for_options(spec: ConnectorSpec, secrets: Mapping[str, SecretStr]) -> dict[str, SecretStr]:
    fields = spec.options_model.model_fields if spec.options_model is not None else {}
    return {name: value for name, value in secrets.items() if name in fields}


def _issues(exc: ValidationError, prefix: str) -> list[ConfigIssue]:
    """Every error of ``exc`` as an issue. The input value is deliberately left out."""
    found = []
    for error in exc.errors(include_input=False, include_url=False):
        path = ".".join([prefix, *(str(p) for p in error["loc"])])
        reason = "unknown field" if error["type"] == "extra_forbidden" else error["msg"]
        reason = reason.removeprefix("Value error, ")
        found.append(ConfigIssue(path, reason, error["type"]))
    return found
