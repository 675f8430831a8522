"""Options shared by every mock source: which synthetic province, which faults."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub.errors import ConfigurationError
from hub.province import Province, ProvinceConfig
from hub.province.faults import FaultInjector, FaultPlan


class MockSourceOptions(BaseModel):
    """Options of a mock source connector (the ``options`` block of its config)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    province: ProvinceConfig = Field(
        default_factory=ProvinceConfig, description="The synthetic province to serve."
    )
    faults: FaultPlan = Field(default_factory=FaultPlan, description="Random faults.")
    page_size: int = Field(500, ge=1, le=10_000, description="Records per source request.")

    @classmethod
    def parse(cls, options: dict[str, Any], connector: str) -> MockSourceOptions:
        """Validate ``options``, naming the first bad field.

        Raises:
            ConfigurationError: with the field's dotted path.
        """
        try:
            return cls.model_validate(options)
        except ValidationError as exc:
            first = exc.errors()[0]
            path = ".".join(str(p) for p in first["loc"])
            raise ConfigurationError(first["msg"], field=f"{connector}.options.{path}") from exc

    def make_province(self) -> Province:
        """The province these options describe (shared by sources with equal configs)."""
        return shared_province(self.province)

    def make_faults(self) -> FaultInjector:
        """A fresh fault injector for one source."""
        return FaultInjector(self.faults)


_PROVINCES: dict[ProvinceConfig, Province] = {}


def shared_province(config: ProvinceConfig) -> Province:
    """One :class:`Province` per configuration in this process, so sources agree."""
    province = _PROVINCES.get(config)
    if province is None:
        province = _PROVINCES[config] = Province(config)
    return province
