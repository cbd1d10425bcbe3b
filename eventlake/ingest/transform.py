"""The Firehose data-transformation Lambda: validate each record and add the derived fields.

Firehose calls `lambda_handler` with a batch of base64 records. Every recordId is answered
exactly once:
- `Ok`: the original JSON object with `created_datetime`, `event_type` and `event_subtype`
  added, ending in a newline (so the S3 objects are NDJSON).
- `ProcessingFailed`: anything that cannot be decoded or breaks the contract, returned with
  its *original* bytes, so Firehose writes it to the `processing-failed` error prefix where
  the nightly job quarantines it with a reason. Records are never `Dropped`.

No per-invocation dedupe: it cannot work across invocations; the Glue job dedupes.
"""

from __future__ import annotations

import binascii
import json
import os
import sys
import time
from binascii import a2b_base64, b2a_base64
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson
from orjson import JSONDecodeError
from orjson import loads as _loads

from eventlake.core.contract import (
    MAX_EVENT_BYTES,
    NUMBER_TYPES,
    RECORD_TOO_LARGE,
    ContractConfig,
    derived_fields,
    may_hold_long_number,
    passes_contract,
    split_event_name,
    validate_record,
)

OK = "Ok"
PROCESSING_FAILED = "ProcessingFailed"

# Lambda's synchronous response limit is 6 MB; keep a margin for the JSON envelope.
RESPONSE_BUDGET_BYTES = 5_500_000
# Per-record JSON overhead of {"recordId": ..., "result": ..., "data": ...} in the response.
_ENTRY_OVERHEAD = 64

# Failure codes the transform adds to the contract's reasons (they never reach the contract).
BAD_BASE64 = "bad_base64"
RESPONSE_SIZE_LIMIT = "response_size_limit"
TRANSFORM_ERROR = "transform_error"


def config_from_env(env: Mapping[str, str] = os.environ) -> ContractConfig:
    """The contract bounds for this runtime: EVENTLAKE_MAX_FUTURE_SKEW_S, EVENTLAKE_MAX_EVENT_AGE_DAYS."""
    defaults = ContractConfig()
    skew = float(env.get("EVENTLAKE_MAX_FUTURE_SKEW_S", defaults.max_future_skew_s))
    age_days = env.get("EVENTLAKE_MAX_EVENT_AGE_DAYS")
    age_s = float(age_days) * 86400.0 if age_days else defaults.max_event_age_s
    return ContractConfig(max_future_skew_s=skew, max_event_age_s=age_s)


CONFIG = config_from_env()


@dataclass
class TransformResult:
    """Firehose's response records plus, for logs and firehose-local, why records failed."""

    records: list[dict[str, str]]
    failure_reasons: dict[str, str] = field(default_factory=dict)  # recordId -> reason

    def reason_counts(self) -> Counter[str]:
        return Counter(self.failure_reasons.values())


def enrich(
    raw: bytes, arrival_epoch_s: float, cfg: ContractConfig = CONFIG
) -> tuple[bytes | None, str]:
    """One record -> (the NDJSON line to deliver, "") or (None, failure reason). Never raises.

    The common case (a valid single-line object) is checked in one pass and gets the derived
    fields spliced in before its closing brace: no re-serialization, and the producer's bytes
    stay exactly as sent. Everything else goes through the contract's reference path, which
    names the exact reason.
    """
    event = None
    if len(raw) <= MAX_EVENT_BYTES and not may_hold_long_number(raw):
        try:
            event = _loads(raw)
        except JSONDecodeError:
            event = None
    if not passes_contract(event, arrival_epoch_s, cfg):
        verdict = validate_record(raw, arrival_epoch_s, cfg)
        if not verdict.valid:
            return None, verdict.detail
        event = verdict.event  # valid, but only the stdlib parser could read it
    body = raw if raw[-1:] == b"}" else raw.rstrip()
    if (
        b"\n" in body
        or b"\r" in body
        or "created_datetime" in event
        or "event_type" in event
        or "event_subtype" in event
    ):
        # Pretty-printed, or already carrying a derived key: re-serialize, so the output
        # stays one NDJSON line with each key once.
        return _reserialized(event, derived_fields(event)), ""
    return body[:-1] + _derived_suffix(event["created_at"], event["event_name"]), ""


# The derived fields as JSON bytes, from small caches: the values are ASCII without quotes or
# backslashes (an ISO timestamp and two segments of the event-name pattern).
@lru_cache(maxsize=1 << 16)
def _datetime_head(epoch_second: int) -> bytes:
    stamp = datetime.fromtimestamp(epoch_second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f',"created_datetime":"{stamp}.'.encode()


_MILLIS = tuple(b"%03dZ" % ms for ms in range(1000))


@lru_cache(maxsize=4096)
def _name_tail(event_name: str) -> bytes:
    event_type, event_subtype = split_event_name(event_name)
    return f'","event_type":"{event_type}","event_subtype":"{event_subtype}"}}\n'.encode()


def _derived_suffix(created_at: float, event_name: str) -> bytes:
    """`,"created_datetime":..,"event_type":..,"event_subtype":..}\n`, as derived_fields."""
    seconds, micro = divmod(int(created_at * 1_000_000), 1_000_000)
    return _datetime_head(seconds) + _MILLIS[micro // 1000] + _name_tail(event_name)


def _reserialized(event: dict[str, Any], derived: dict[str, str]) -> bytes:
    merged = {**event, **derived}
    try:
        return orjson.dumps(merged) + b"\n"
    except TypeError:  # lone surrogates parsed by the stdlib fallback; keep them escaped
        return json.dumps(merged, separators=(",", ":")).encode() + b"\n"


def _b64_len(n_bytes: int) -> int:
    return 4 * ((n_bytes + 2) // 3)


_MAX_DATA_B64 = _b64_len(MAX_EVENT_BYTES)


def decode_data(data_b64: Any) -> tuple[bytes | None, str]:
    """A record's base64 `data` -> (raw bytes, "") or (None, reason). Never raises."""
    if type(data_b64) is not str:
        return None, BAD_BASE64
    if len(data_b64) > _MAX_DATA_B64:
        return None, RECORD_TOO_LARGE  # not worth decoding
    try:
        return a2b_base64(data_b64, strict_mode=True), ""
    except (binascii.Error, ValueError):
        return None, BAD_BASE64


def transform_event(
    event: Mapping[str, Any],
    cfg: ContractConfig = CONFIG,
    now_s: float | None = None,
    budget_bytes: int = RESPONSE_BUDGET_BYTES,
) -> TransformResult:
    """The whole handler minus the Lambda wrapper: a Firehose event in, its response out.

    The response budget: start from the size the response would have if every record came
    back ProcessingFailed with its original data (about the request's size), and let each
    Ok record grow it. An Ok record that would push past the budget is returned
    ProcessingFailed instead; Firehose writes it to the error prefix, where the nightly job
    re-validates it, so it is delayed, not lost.
    """
    fallback_arrival_s = time.time() if now_s is None else now_s
    inputs = event.get("records") or []
    record_ids = [str(r.get("recordId", "")) for r in inputs]
    datas = [r.get("data", "") for r in inputs]
    projected = (
        sum(map(len, map(str, datas))) + sum(map(len, record_ids)) + _ENTRY_OVERHEAD * len(inputs)
    )
    result = TransformResult(records=[])
    out, reasons = result.records, result.failure_reasons
    for record, record_id, original in zip(inputs, record_ids, datas, strict=True):
        try:
            raw, reason = decode_data(original)
            line = None
            if raw is not None:
                arrival_ms = record.get("approximateArrivalTimestamp")
                arrival_s = (
                    arrival_ms / 1000.0 if type(arrival_ms) in NUMBER_TYPES else fallback_arrival_s
                )
                line, reason = enrich(raw, arrival_s, cfg)
        except Exception as exc:  # one bad record must never fail the batch
            line, reason = None, f"{TRANSFORM_ERROR}:{type(exc).__name__}"
        if line is not None:
            data = b2a_base64(line, newline=False).decode("ascii")
            growth = len(data) - len(original)
            if projected + growth <= budget_bytes:
                projected += growth
                out.append({"recordId": record_id, "result": OK, "data": data})
                continue
            reason = RESPONSE_SIZE_LIMIT
        reasons[record_id] = reason
        data = original if type(original) is str else ""
        out.append({"recordId": record_id, "result": PROCESSING_FAILED, "data": data})
    return result


def lambda_handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """AWS Lambda entry point (image CMD `eventlake.ingest.transform.lambda_handler`)."""
    result = transform_event(event, CONFIG)
    failed = len(result.failure_reasons)
    # One structured log line per invocation; CloudWatch metric filters can count reasons.
    summary = {
        "records": len(result.records),
        "ok": len(result.records) - failed,
        "processing_failed": failed,
        "reasons": dict(result.reason_counts()),
    }
    print(orjson.dumps(summary).decode(), file=sys.stdout)
    return {"records": result.records}
