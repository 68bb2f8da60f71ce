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


# Bounds on every size a config can ask for: a file from anywhere must not make the loader
# build (or allocate) a network far larger than any checkpoint file could hold.
MAX_SIZE, MAX_SIZES, MAX_CHANNELS, MAX_NUMBER, MAX_TEXT = 4096, 16, 4, 1e6, 64
MAX_TEXTS = 64  # entries of a list of texts (a foreign network's layer specs)


def _checked(name: str, value, default):
    """``value`` for config field ``name`` if it has the default's type and sane bounds."""
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false, got {value!r}")
    elif isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SIZE:
            raise ValueError(f"{name} must be a whole number in 0…{MAX_SIZE}, got {value!r}")
    elif isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not abs(value) <= MAX_NUMBER:
            raise ValueError(f"{name} must be a number of at most {MAX_NUMBER:g} in size, got {value!r}")
        return float(value)
    elif isinstance(default, str):
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            raise ValueError(f"{name} must be a short text, got {value!r}")
    elif isinstance(default, tuple) and default and isinstance(default[0], str):
        if not (isinstance(value, (list, tuple)) and 1 <= len(value) <= MAX_TEXTS
                and all(isinstance(v, str) and len(v) <= MAX_TEXT for v in value)):
            raise ValueError(f"{name} must be a list of 1…{MAX_TEXTS} short texts, got {str(value)[:80]}")
        return tuple(value)
    elif isinstance(default, tuple):
        if not isinstance(value, (list, tuple)) or not 1 <= len(value) <= MAX_SIZES:
            raise ValueError(f"{name} must be a list of 1…{MAX_SIZES} sizes, got {value!r}")
        if name == "image_shape" and (len(value) != 3 or not isinstance(value[0], int)
                                      or not 1 <= value[0] <= MAX_CHANNELS):
            raise ValueError(f"image_shape must be [channels 1…{MAX_CHANNELS}, height, width], got {value!r}")
        for item in value:
            if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= MAX_SIZE:
                raise ValueError(f"every entry of {name} must be a whole number in 1…{MAX_SIZE}, "
                                 f"got {value!r}")
        return tuple(value)
    return value


def config_from_dict(config_class: type, values: dict):
    """Build a config dataclass from a JSON-like dict, refusing unknown keys and any value whose
    type differs from the field's default or whose size is out of bounds."""
    fields = {f.name: f for f in dataclasses.fields(config_class)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValueError(f"{config_class.__name__} has no field(s) {unknown}")
    checked = {}
    for name, value in values.items():
        checked[name] = _checked(name, value, fields[name].default)
    return config_class(**checked)


def build_model(family: str, config: dict | object) -> GenerativeModel:
    """Instantiate ``family`` from its config dataclass or a dict of its fields."""
    cls = family_class(family)
    if isinstance(config, dict):
        config = config_from_dict(cls.config_class, config)
    return cls(config)
