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

COUNTRIES = ("us", "gb", "de", "fr", "es", "it", "nl", "br", "in", "jp", "au", "ca", "mx", "pl")
WORDS = ("alpha", "river", "cloud", "delta", "ember", "forest", "harbor", "island", "jade")


@dataclass(frozen=True)
class EventType:
    name: str
    subtypes: tuple[str, ...]
    fields: tuple[tuple[str, str], ...]
    weight: float  # share of traffic, relative


EVENT_TYPES: tuple[EventType, ...] = (
    EventType(
        "account",
        (
            "created",
            "verified",
            "updated",
            "deleted",
            "password:reset",
            "email:changed",
            "login:succeeded",
            "login:failed",
            "logout",
        ),
        (("user_id", "id"), ("country", "country"), ("plan", "choice:free|plus|pro")),
        1.0,
    ),
    EventType(
        "session",
        ("started", "ended", "heartbeat", "resumed", "timed_out", "device:switched"),
        (
            ("user_id", "id"),
            ("session_id", "id"),
            ("platform", "choice:ios|android|web"),
            ("duration_s", "int:0-7200"),
        ),
        3.0,
    ),
    EventType(
        "lesson",
        (
            "started",
            "completed",
            "abandoned",
            "paused",
            "resumed",
            "hint:requested",
            "answer:submitted",
            "answer:correct",
            "answer:wrong",
            "rated",
        ),
        (("user_id", "id"), ("lesson_id", "id"), ("course_id", "id"), ("score", "int:0-100")),
        4.0,
    ),
    EventType(
        "course",
        (
            "enrolled",
            "unenrolled",
            "completed",
            "certificate:issued",
            "reviewed",
            "progress:updated",
            "bookmarked",
        ),
        (("user_id", "id"), ("course_id", "id"), ("progress_pct", "int:0-100")),
        1.0,
    ),
    EventType(
        "quiz",
        ("started", "submitted", "graded", "retried", "timed_out", "question:skipped"),
        (("user_id", "id"), ("quiz_id", "id"), ("correct", "int:0-20"), ("total", "int:1-20")),
        1.5,
    ),
    EventType(
        "payment",
        (
            "order:created",
            "order:completed",
            "order:failed",
            "order:refunded",
            "card:added",
            "card:removed",
            "invoice:issued",
            "invoice:paid",
            "chargeback:opened",
        ),
        (
            ("user_id", "id"),
            ("order_id", "id"),
            ("amount", "money"),
            ("currency", "choice:usd|eur|gbp|brl|inr"),
            ("items", "items"),
        ),
        0.8,
    ),
    EventType(
        "subscription",
        (
            "started",
            "renewed",
            "cancelled",
            "paused",
            "resumed",
            "upgraded",
            "downgraded",
            "trial:started",
            "trial:ended",
        ),
        (
            ("user_id", "id"),
            ("subscription_id", "id"),
            ("plan", "choice:plus|pro|team"),
            ("amount", "money"),
        ),
        0.6,
    ),
    EventType(
        "notification",
        ("sent", "delivered", "opened", "clicked", "dismissed", "bounced", "unsubscribed"),
        (("user_id", "id"), ("channel", "choice:push|email|sms|in_app"), ("campaign_id", "id")),
        2.0,
    ),
    EventType(
        "search",
        ("performed", "result:clicked", "no_results", "filter:applied", "suggestion:used"),
        (("user_id", "id"), ("query", "text"), ("results", "int:0-500")),
        1.5,
    ),
    EventType(
        "content",
        (
            "viewed",
            "shared",
            "liked",
            "unliked",
            "downloaded",
            "video:played",
            "video:paused",
            "video:completed",
        ),
        (("user_id", "id"), ("content_id", "id"), ("content_kind", "choice:video|article|audio")),
        2.5,
    ),
    EventType(
        "social",
        (
            "friend:requested",
            "friend:accepted",
            "message:sent",
            "comment:posted",
            "comment:deleted",
            "follow:started",
            "follow:stopped",
        ),
        (("user_id", "id"), ("target_user_id", "id"), ("text_length", "int:0-2000")),
        1.0,
    ),
    EventType(
        "support",
        (
            "ticket:opened",
            "ticket:replied",
            "ticket:closed",
            "chat:started",
            "chat:ended",
            "feedback:submitted",
        ),
        (
            ("user_id", "id"),
            ("ticket_id", "id"),
            ("priority", "choice:low|normal|high|urgent"),
            ("first_contact", "bool"),
        ),
        0.3,
    ),
    EventType(
        "app",
        (
            "installed",
            "uninstalled",
            "updated",
            "crashed",
            "opened",
            "backgrounded",
            "permission:granted",
            "permission:denied",
        ),
        (
            ("device_id", "id"),
            ("app_version", "choice:5.1.0|5.2.0|5.2.1|6.0.0"),
            ("os", "choice:ios|android"),
            ("free_disk_mb", "int:0-256000"),
        ),
        1.2,
    ),
)

EVENT_NAMES: tuple[str, ...] = tuple(f"{t.name}:{sub}" for t in EVENT_TYPES for sub in t.subtypes)
TYPES_BY_NAME: dict[str, EventType] = {t.name: t for t in EVENT_TYPES}
