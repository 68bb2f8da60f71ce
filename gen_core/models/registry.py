"""The explicit registry of model families: ``family name -> class``.

Configs are dataclasses; ``config_from_dict`` refuses unknown keys so a typo is an error, never a
silent default.
"""

from __future__ import annotations

import dataclasses

from gen_core.models.base import GenerativeModel

FAMILIES: dict[str, type[GenerativeModel]] = {}


def register(cls: type[GenerativeModel]) -> type[GenerativeModel]:
    """Class decorator adding a family; a second family of the same name is an error."""
    if cls.family in FAMILIES:
        raise ValueError(f"model family {cls.family!r} is registered twice")
    FAMILIES[cls.family] = cls
    return cls


def family_class(family: str) -> type[GenerativeModel]:
    try:
        return FAMILIES[family]
    except KeyError:
        known = ", ".join(sorted(FAMILIES))
        raise KeyError(f"unknown model family {family!r} (known: {known})") from None


def config_from_dict(config_class: type, values: dict):
    """Build a config dataclass from a JSON-like dict, refusing unknown or missing keys."""
    fields = {f.name: f for f in dataclasses.fields(config_class)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValueError(f"{config_class.__name__} has no field(s) {unknown}")
    # JSON has no tuples; restore them where the dataclass default is one.
    coerced = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    return config_class(**coerced)


def build_model(family: str, config: dict | object) -> GenerativeModel:
    """Instantiate ``family`` from its config dataclass or a dict of its fields."""
    cls = family_class(family)
    if isinstance(config, dict):
        config = config_from_dict(cls.config_class, config)
    return cls(config)
