"""Value converters: one TOML value in, the checked Python value out, or a ValueError saying why.

Each converter raises ValueError with what was expected; the loader adds the key's dotted name, so
every message says where to look.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bot.config.crisis import _checked_date, region_code
from bot.config.settings import DEFAULT_PRICES, Price
from bot.records import CATEGORIES

log = logging.getLogger(__name__)

Converter = Callable[[Any], Any]


def _int(minimum: int, maximum: int | None = None) -> Converter:
    def convert(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected a whole number, got {value!r}")
        if value < minimum or (maximum is not None and value > maximum):
            upper = f" and at most {maximum}" if maximum is not None else ""
            raise ValueError(f"expected a number at least {minimum}{upper}, got {value}")
        return value

    return convert


def _fraction(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number between 0 and 1, got {value!r}")
    if not 0 < value <= 1:
        raise ValueError(f"expected a number above 0 and at most 1, got {value}")
    return float(value)


def _number(minimum: float, unit: Callable[[float], timedelta]) -> Converter:
    def convert(value: Any) -> timedelta:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"expected a number, got {value!r}")
        if value < minimum:
            raise ValueError(f"expected a number at least {minimum}, got {value}")
        return unit(value)

    return convert


def _minutes(minimum: float = 0) -> Converter:
    return _number(minimum, lambda v: timedelta(minutes=v))


def _hours(minimum: float = 0) -> Converter:
    return _number(minimum, lambda v: timedelta(hours=v))


def _seconds(minimum: float = 0) -> Converter:
    return _number(minimum, lambda v: timedelta(seconds=v))


def _url(value: Any) -> str:
    text = _str(value)
    if not text.startswith(("https://", "http://")) or not text.endswith("/"):
        raise ValueError(f"expected an http(s) URL ending in '/', got {text!r}")
    return text


def _days_or_none(value: Any) -> timedelta | None:
    if value == 0:
        return None
    days: timedelta = _number(1, lambda v: timedelta(days=v))(value)
    return days


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a non-empty string, got {value!r}")
    return value


def _choice(*options: str) -> Converter:
    def convert(value: Any) -> str:
        if value not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {value!r}")
        return str(value)

    return convert


def _env_name(value: Any) -> str:
    text = _str(value)
    if not text.replace("_", "").isalnum() or not text[0].isalpha():
        raise ValueError(
            "expected the NAME of an environment variable (like ANTHROPIC_API_KEY), got a value "
            "that is not one; secrets go in the environment, never in this file"
        )
    return text


def _snowflake(value: Any) -> int:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"expected a Discord id (a number; 0 for none), got {value!r}")
    return value


def _snowflakes(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise ValueError(f"expected a list of Discord channel ids, got {value!r}")
    return tuple(_snowflake(v) for v in value)


def _slack_id(prefixes: str) -> Converter:
    def convert(value: Any) -> str:
        if not isinstance(value, str) or (value and value[:1] not in prefixes):
            raise ValueError(
                f"expected a Slack id starting with {' or '.join(prefixes)}, got {value!r}"
            )
        return value

    return convert


def _slack_ids(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ValueError(f"expected a list of Slack user ids (U...), got {value!r}")
    return tuple(_slack_id("UW")(v) for v in value)


def _names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"expected a list of names, got {value!r}")
    return tuple(value)


def _category_map(value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        raise ValueError("expected a table of category = number")
    out: dict[str, int] = {}
    for category, n in value.items():
        if category not in CATEGORIES or category == "none":
            raise ValueError(
                f"unknown category {category!r}; expected one of "
                f"{', '.join(c for c in CATEGORIES if c != 'none')}"
            )
        out[category] = _int(0, 20)(n)
    return out


def _prices(value: Any) -> dict[str, Price]:
    if not isinstance(value, dict):
        raise ValueError('expected tables like [prices."claude-sonnet-5-5"]')
    out = dict(DEFAULT_PRICES)
    for model, table in value.items():
        keys = {"input", "output", "cache_write", "cache_read"}
        if not isinstance(table, dict) or set(table) != keys:
            raise ValueError(f"{model}: expected exactly the keys {', '.join(sorted(keys))}")
        numbers = {}
        for k in sorted(keys):
            v = table[k]
            if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
                raise ValueError(f"{model}.{k}: expected dollars per million tokens, got {v!r}")
            numbers[k] = float(v)
        out[model] = Price(**numbers)
    return out


def _resources(value: Any) -> tuple[Any, ...]:
    """[[crisis.resources]] as raw tables; `crisis.lines_from_tables` checks them key by key."""
    if not isinstance(value, list):
        raise ValueError("expected an array of tables ([[crisis.resources]])")
    return tuple(value)


def _regions(value: Any) -> tuple[str, ...]:
    """Region codes like ["FR", "BE"], spelt as the crisis table spells them (GB is UK)."""
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f'expected a list of region codes like ["FR", "BE"], got {value!r}')
    return tuple(dict.fromkeys(region_code(v) for v in value))


def _date(value: Any) -> str:
    """A YYYY-MM-DD date (a TOML date or a string)."""
    return _checked_date(value)
