"""The catalog of event names (~100 over 13 types) and their type-specific fields.

Each type lists its subtypes (a subtype may have a third segment) and the fields every
event of that type carries. Field kinds tell the generator how to make a value:
  id         a short prefixed identifier          int:a-b    an integer in [a, b]
  money      an amount with cents                  choice:x|y one of the listed strings
  bool       true or false                         text       a short lowercase phrase
  country    an ISO 3166 alpha-2 code              items      a list of {sku, qty} objects
"""

from __future__ import annotations

from dataclasses import dataclass

from eventlake.core.plan import tracking_plan

COUNTRIES = ("us", "gb", "de", "fr", "es", "it", "nl", "br", "in", "jp", "au", "ca", "mx", "pl")
WORDS = ("alpha", "river", "cloud", "delta", "ember", "forest", "harbor", "island", "jade")


@dataclass(frozen=True)
class EventType:
    name: str
    subtypes: tuple[str, ...]
    fields: tuple[tuple[str, str], ...]
    weight: float  # share of traffic, relative


EVENT_TYPES: tuple[EventType, ...] = tuple(
    EventType(
        t.name, t.names, tuple((f.name, f.generate or "") for f in t.fields), t.traffic_weight
    )
    for t in tracking_plan().types
)
EVENT_NAMES: tuple[str, ...] = tuple(f"{t.name}:{sub}" for t in EVENT_TYPES for sub in t.subtypes)
TYPES_BY_NAME: dict[str, EventType] = {t.name: t for t in EVENT_TYPES}
