"""The Firehose transform handler on real Firehose event shapes."""

from __future__ import annotations

import base64
import random
import time

import orjson
import pytest

from eventlake.core import contract
from eventlake.ingest.transform import (
    BAD_BASE64,
    OK,
    PROCESSING_FAILED,
    RESPONSE_SIZE_LIMIT,
    config_from_env,
    enrich,
    lambda_handler,
    transform_event,
)

from .conftest import make_event

NOW = "now"  # the arrival is the time the event is built, like the events' created_at


def firehose_event(payloads: list[object], arrival_ms: int | str | None = NOW) -> dict:
    """A Kinesis-sourced Firehose data-transformation event, as Lambda receives it."""
    if arrival_ms == NOW:
        arrival_ms = int(time.time() * 1000)
    records = []
    for index, payload in enumerate(payloads):
        data = payload if isinstance(payload, str) else base64.b64encode(payload).decode()
        record = {
            "recordId": f"49546986683135544286507457936321625675700192471156785{index:03d}",
            "data": data,
            "kinesisRecordMetadata": {"shardId": "shardId-000000000000", "partitionKey": "pk"},
        }
        if arrival_ms is not None:
            record["approximateArrivalTimestamp"] = arrival_ms
        records.append(record)
    return {
        "invocationId": "invoked123",
        "deliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/eventlake",
        "sourceKinesisStreamArn": "arn:aws:kinesis:us-east-1:123456789012:stream/eventlake",
        "region": "us-east-1",
        "records": records,
    }


def decoded(answer: dict) -> bytes:
    return base64.b64decode(answer["data"])


def test_valid_event_gets_derived_fields_and_a_newline() -> None:
    raw = orjson.dumps(make_event(created_at=time.time() - 60))
    [answer] = lambda_handler(firehose_event([raw]), None)["records"]
    assert answer["result"] == OK
    line = decoded(answer)
    assert line.endswith(b"}\n"), "Ok data must end in a newline"
    assert line.count(b"\n") == 1, "Ok data must be one NDJSON line"
    assert line.startswith(raw[:-1]), "the producer's bytes must be kept as sent"
    event = orjson.loads(line)
    assert (event["event_type"], event["event_subtype"]) == ("payment", "order")
    assert event["created_datetime"] == contract.created_datetime(event["created_at"])


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        ("not base64 at all!", "malformed base64"),
        (b'\xff\xfe{"event_uuid": 1}', "non-UTF-8 bytes"),
        (b"[1, 2, 3]", "a JSON array, not an object"),
        (b'"just a string"', "a JSON string"),
        (b'{"event_uuid": "truncated', "truncated JSON"),
        (orjson.dumps({"event_name": "a:b", "created_at": 1}), "missing event_uuid"),
        (b"x" * (contract.MAX_EVENT_BYTES + 1), "oversized record"),
        (
            orjson.dumps(make_event())[:-1] + b',"n":1.' + b"0" * 1000 + b"}",
            "a number longer than Spark's JSON parser accepts",
        ),
        (orjson.dumps(make_event())[:-1] + b',"note":"\xff"}', "invalid UTF-8 inside a string"),
    ],
)
def test_bad_records_come_back_processing_failed_with_original_data(
    payload: object, why: str
) -> None:
    event = firehose_event([payload])
    [answer] = transform_event(event).records
    assert answer["result"] == PROCESSING_FAILED, why
    assert answer["data"] == event["records"][0]["data"], f"{why}: original data must be kept"


def test_every_record_id_answered_once_in_order_in_a_mixed_batch() -> None:
    payloads: list[object] = [orjson.dumps(make_event()) for _ in range(50)]
    payloads[3] = "%%%"
    payloads[10] = b"\xc3\x28"
    payloads[20] = b"42"
    payloads[30] = b"{" * 100_000  # deep nesting must not crash the batch
    event = firehose_event(payloads)
    result = transform_event(event)
    ids_in = [r["recordId"] for r in event["records"]]
    assert [r["recordId"] for r in result.records] == ids_in
    failed = {i for i, r in enumerate(result.records) if r["result"] == PROCESSING_FAILED}
    assert failed == {3, 10, 20, 30}
    assert result.failure_reasons[ids_in[3]] == BAD_BASE64
    assert result.failure_reasons[ids_in[20]] == contract.NOT_A_JSON_OBJECT
    assert all(r["result"] in (OK, PROCESSING_FAILED) for r in result.records), "never Dropped"


def test_contract_time_rules_use_the_record_arrival() -> None:
    arrival_ms = 1_700_000_000_000
    fresh = orjson.dumps(make_event(created_at=arrival_ms / 1000 - 10))
    future = orjson.dumps(make_event(created_at=arrival_ms / 1000 + 3600))
    result = transform_event(firehose_event([fresh, future], arrival_ms=arrival_ms))
    assert [r["result"] for r in result.records] == [OK, PROCESSING_FAILED]
    assert "created_at_in_future" in next(iter(result.failure_reasons.values()))


def test_missing_arrival_falls_back_to_now() -> None:
    raw = orjson.dumps(make_event(created_at=time.time() - 1))
    [answer] = transform_event(firehose_event([raw], arrival_ms=None)).records
    assert answer["result"] == OK


def test_spliced_fields_equal_the_reference_derivation() -> None:
    """The fast splice must give exactly contract.derived_fields, for any valid created_at."""
    rng = random.Random(11)
    now_s = time.time()
    created = [now_s - 3, int(now_s) - 7, now_s - 86399.9995, now_s - 0.0004999, now_s + 299.999]
    created += [now_s - rng.uniform(0, 6 * 86400) for _ in range(2000)]
    created += [float(int(now_s - rng.uniform(0, 86400))) for _ in range(200)]
    names = ["payment:order:completed", "a:b", "x1_y:z2:w:v"]
    for index, created_at in enumerate(created):
        event = make_event(created_at=created_at, name=names[index % len(names)])
        raw = orjson.dumps(event) + (b" \n" if index % 7 == 0 else b"")
        line, reason = enrich(raw, now_s)
        assert reason == "", (created_at, reason)
        assert line.startswith(raw.rstrip()[:-1])
        assert line.endswith(b"}\n")
        assert orjson.loads(line) == {**event, **contract.derived_fields(event)}, created_at


def test_existing_derived_key_is_reserialized_not_duplicated() -> None:
    event = make_event(name="lesson:answer:correct") | {"event_type": "spoofed"}
    [answer] = transform_event(firehose_event([orjson.dumps(event)])).records
    line = decoded(answer)
    assert line.count(b'"event_type"') == 1
    assert orjson.loads(line)["event_type"] == "lesson"


def test_pretty_printed_json_becomes_one_line() -> None:
    raw = orjson.dumps(make_event(), option=orjson.OPT_INDENT_2)
    [answer] = transform_event(firehose_event([raw])).records
    line = decoded(answer)
    assert answer["result"] == OK
    assert line.count(b"\n") == 1
    assert line.endswith(b"\n")
    assert orjson.loads(line)["event_subtype"] == "order"


def test_response_stays_within_the_budget_and_overflow_goes_to_the_error_prefix() -> None:
    payloads = [orjson.dumps(make_event()) for _ in range(200)]
    event = firehose_event(payloads)
    request_size = len(orjson.dumps(event["records"]))
    budget = request_size + 5_000  # room for only a few records to grow by their derived fields
    result = transform_event(event, budget_bytes=budget)
    response_size = len(orjson.dumps({"records": result.records}))
    assert response_size <= budget + 1_000
    reasons = set(result.failure_reasons.values())
    assert reasons == {RESPONSE_SIZE_LIMIT}, "overflow must be marked, not lost"
    ok = sum(r["result"] == OK for r in result.records)
    assert 0 < ok < len(payloads)
    assert len(result.records) == len(payloads)


def test_lambda_handler_matches_transform_event_and_logs_a_summary(
    capsys: pytest.CaptureFixture,
) -> None:
    event = firehose_event([orjson.dumps(make_event()), b"[]"])
    response = lambda_handler(event, None)
    assert set(response) == {"records"}
    assert response["records"] == transform_event(event).records
    assert all(set(r) == {"recordId", "result", "data"} for r in response["records"])
    log = orjson.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert log["ok"] == 1
    assert log["processing_failed"] == 1


def test_config_from_env_reads_the_contract_bounds() -> None:
    cfg = config_from_env(
        {"EVENTLAKE_MAX_FUTURE_SKEW_S": "60", "EVENTLAKE_MAX_EVENT_AGE_DAYS": "2"}
    )
    assert (cfg.max_future_skew_s, cfg.max_event_age_s) == (60.0, 2 * 86400.0)
    assert config_from_env({}) == contract.ContractConfig()
