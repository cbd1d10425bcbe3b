"""Base64 text for record bytes, as Kinesis, Firehose and the spool carry them."""

from __future__ import annotations

from binascii import a2b_base64, b2a_base64


def to_base64(data: bytes) -> str:
    return b2a_base64(data, newline=False).decode("ascii")


def from_base64(text: str) -> bytes:
    return a2b_base64(text)
