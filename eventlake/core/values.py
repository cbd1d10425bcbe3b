"""Typed values from text: job arguments and Airflow settings arrive as strings."""

from __future__ import annotations

from datetime import date
from typing import Any

TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no")


def kind_of(annotation: Any) -> str:
    """A dataclass field's annotation (text, with postponed annotations) as a kind name."""
    text = str(annotation)
    return "date" if "date" in text else text


def parse_value(text: str, kind: str) -> Any:
    """`text` as a `kind` (bool, int, float, date or str); ValueError if it is not one."""
    text = text.strip()
    if kind == "bool":
        if text.lower() not in TRUE + FALSE:
            raise ValueError(text)
        return text.lower() in TRUE
    if kind == "date":
        return date.fromisoformat(text)
    if kind == "int":
        return int(text)
    if kind == "float":
        return float(text)
    return text


def value_text(value: Any) -> str:
    """The inverse of parse_value: 60.0 -> "60", a date -> YYYY-MM-DD."""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
