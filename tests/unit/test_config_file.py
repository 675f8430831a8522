"""The connector config file: every invalid field reported, with its dotted path."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from hub.connect.config_file import ConfigReport, load_file, validate_data, validate_file
from hub.connect.contract import ConnectorSpec
from hub.connect.registry import discover
from hub.errors import ConfigurationError

REPO = Path(__file__).resolve().parents[2]
POPULATION = discover()["population"]


class TokenOptions(BaseModel):
    """Options of a connector that needs an API token."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = Field(..., min_length=1)
    page_size: int = Field(100, ge=1)
    api_token: SecretStr


def _unused_adapter(options: dict[str, Any]) -> Any:
    raise AssertionError("validation must not build the adapter when a model is declared")


TOKENISED = ConnectorSpec(
    name="tokenised",
    title="A source behind a token",
    owner="Somebody's ministry",
    interface="REST",
    key_name="id",
    streams=(),
    make_adapter=_unused_adapter,
    make_mapper=lambda: None,  # type: ignore[arg-type, return-value]
    options_model=TokenOptions,
)
KNOWN = {"population": POPULATION, "tokenised": TOKENISED}


def check(text: str, environ: dict[str, str] | None = None) -> ConfigReport:
    """Validate TOML ``text`` against the known connectors."""
    return validate_data(tomllib.loads(text), KNOWN, environ or {})


def issues(report: ConfigReport) -> dict[str, str]:
    """Path → code of every issue."""
    return {i.path: i.code for i in report.issues}


def test_the_shipped_example_is_valid() -> None:
    report = validate_file(REPO / "examples" / "connectors.toml", discover(), environ={})
    assert report.valid, report.issues
    (population,) = report.connectors
    assert population.owner == "Ministry of Public Security (C06)"
    assert population.runtime.batch_size == 2000


def test_unknown_fields_are_named_at_every_level() -> None:
    report = check(
        """
        colour = "blue"
        [connectors.population]
        enabeld = true
        [connectors.population.options]
        pagesize = 3
        [connectors.population.options.province]
        citizenz = 10
        [connectors.population.runtime]
        max_inflight = 3
        """
    )
    assert issues(report) == {
        "colour": "extra_forbidden",
        "connectors.population.enabeld": "extra_forbidden",
        "connectors.population.options.pagesize": "extra_forbidden",
        "connectors.population.options.province.citizenz": "extra_forbidden",
        "connectors.population.runtime.max_inflight": "extra_forbidden",
    }
    assert all(i.reason == "unknown field" for i in report.issues)
    assert report.connectors == []


def test_wrong_types_are_named_with_the_expected_type() -> None:
    report = check(
        """
        [connectors.population]
        enabled = "maybe"
        [connectors.population.options]
        page_size = "big"
        [connectors.population.runtime]
        batch_size = "many"
        poll_interval_s = -1
        [connectors.population.runtime.retry]
        multiplier = "x"
        """
    )
    assert issues(report) == {
        "connectors.population.enabled": "bool_parsing",
        "connectors.population.options.page_size": "int_parsing",
        "connectors.population.runtime.batch_size": "int_parsing",
        "connectors.population.runtime.poll_interval_s": "greater_than",
        "connectors.population.runtime.retry.multiplier": "float_parsing",
    }
    reasons = {i.path: i.reason for i in report.issues}
    assert "valid integer" in reasons["connectors.population.runtime.batch_size"]


def test_a_missing_secret_is_named_by_its_variable() -> None:
    text = """
        [connectors.population.secrets]
        api_token = { env = "POPULATION_API_TOKEN" }
        client_key = { file = "/nonexistent/key" }
        """
    report = check(text)
    assert issues(report) == {
        "connectors.population.secrets.api_token": "secret_unset",
        "connectors.population.secrets.client_key": "secret_file",
    }
    reasons = [i.reason for i in report.issues]
    assert "environment variable POPULATION_API_TOKEN is not set" in reasons
    assert check(text, {"POPULATION_API_TOKEN": ""}).issues[0].code == "secret_unset"


def test_a_secret_reference_needs_exactly_one_source() -> None:
    report = check(
        """
        [connectors.population.secrets]
        both = { env = "A", file = "/x" }
        none = {}
        typo = { enf = "A" }
        """
    )
    assert issues(report) == {
        "connectors.population.secrets.both": "value_error",
        "connectors.population.secrets.none": "value_error",
        "connectors.population.secrets.typo.enf": "extra_forbidden",
    }


def test_a_literal_secret_is_refused_and_never_echoed() -> None:
    report = check(
        """
        [connectors.population]
        owner = "hunter2-literal-secret"
        [connectors.population.secrets]
        api_token = "hunter2-literal-secret"
        [connectors.population.runtime]
        batch_size = "hunter2-literal-secret"
        """
    )
    assert set(issues(report)) == {
        "connectors.population.secrets.api_token",
        "connectors.population.runtime.batch_size",
    }
    assert "hunter2" not in repr(report.issues)


def test_every_problem_of_every_connector_is_reported_at_once() -> None:
    report = check(
        """
        [connectors.population.runtime]
        batch_size = 0
        [connectors.population.options.province]
        citizens = -4
        [connectors.nosuch]
        enabled = true
        [connectors.Bad_Name]
        type = "population"
        """
    )
    assert issues(report) == {
        "connectors.population.runtime.batch_size": "greater_than_equal",
        "connectors.population.options.province.citizens": "greater_than_equal",
        "connectors.nosuch": "unknown_connector",
        "connectors.Bad_Name": "name",
    }


def test_one_type_configured_twice_is_refused() -> None:
    report = check('[connectors.population]\n[connectors.again]\ntype = "population"\n')
    assert issues(report) == {"connectors.again.type": "duplicate_type"}


def test_an_options_model_reports_every_field_and_receives_secrets() -> None:
    text = """
        [connectors.tokenised.options]
        page_size = 0
        [connectors.tokenised.secrets]
        api_token = { env = "TOKEN" }
        """
    assert issues(check(text, {"TOKEN": "t0ken-value"})) == {
        "connectors.tokenised.options.base_url": "missing",
        "connectors.tokenised.options.page_size": "greater_than_equal",
    }
    assert "connectors.tokenised.options.api_token" in issues(check(text))  # unset → missing
    good = check(text.replace("page_size = 0", 'base_url = "https://x"'), {"TOKEN": "t0ken"})
    assert good.valid, good.issues
    job = good.connectors[0].job()
    assert isinstance(job.options["api_token"], SecretStr)
    assert job.options["api_token"].get_secret_value() == "t0ken"
    assert "t0ken" not in repr(good.connectors[0])


def test_no_connectors_and_bad_toml(tmp_path: Path) -> None:
    assert issues(check("version = 2\n")) == {"version": "version", "connectors": "missing"}
    broken = tmp_path / "broken.toml"
    broken.write_text("[connectors.population\n")
    assert issues(validate_file(broken, KNOWN)) == {"": "toml"}
    with pytest.raises(ConfigurationError, match="1 invalid field"):
        load_file(broken, KNOWN)


def test_a_valid_file_yields_jobs_with_runtime_options(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        "[connectors.population]\nenabled = false\n"
        "[connectors.population.runtime]\nrate_limit_per_s = 3\n"
        "[connectors.population.options.province]\ncitizens = 50\n"
    )
    (connector,) = load_file(path, KNOWN)
    assert connector.enabled is False
    assert connector.owner == POPULATION.owner
    job = connector.job()
    assert job.runtime.rate_limit_per_s == 3
    assert job.options == {"province": {"citizens": 50}}
