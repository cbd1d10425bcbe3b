"""The planner's arithmetic against cases computed by hand (numbers written out, not re-derived)."""

from __future__ import annotations

import math

import pytest

from eventlake.tools import capacity as cap
from eventlake.tools.capacity import PlanInput, plan


def lines_by_item(result: dict) -> dict[str, dict]:
    return {line["item"]: line for line in result["cost"]["lines"]}


# --- Kinesis shards: 1,000 records/s and 1 MiB/s per shard, sized at 80 % ---


@pytest.mark.parametrize(
    ("peak", "event_bytes", "shards", "binding"),
    [
        (600, 400, 1, "records/s"),  # 600/800 -> 1; 600*436 B = 0.25 MiB/s -> 1
        (5_000, 400, 7, "records/s"),  # 5000/800 = 6.25 -> 7; 2.08 MiB/s / 0.8 -> 3
        (500, 4_000, 3, "MiB/s"),  # 500*4036 B = 2,018,000 B/s / 838,860.8 = 2.41 -> 3
        (800, 400, 1, "records/s"),  # exactly at 80 % of one shard
        (801, 400, 2, "records/s"),  # one record/s over
    ],
)
def test_shards_follow_the_per_shard_write_limits(rates, peak, event_bytes, shards, binding):
    result = plan(PlanInput(eps_avg=peak / 2, eps_peak=peak, event_bytes=event_bytes), rates)
    assert result["kinesis"]["shards"] == shards
    assert result["kinesis"]["binding_limit"] == binding
    assert result["kinesis"]["write_bytes_per_record"] == event_bytes + 36  # uuid partition key


def test_peak_defaults_to_twice_the_average(rates):
    result = plan(PlanInput(eps_avg=500, event_bytes=400), rates)
    assert result["inputs"]["eps_peak"] == 1_000
    assert result["kinesis"]["shards"] == 2  # 1000/800 = 1.25 -> 2


def test_provisioned_and_on_demand_costs_at_300_eps(rates):
    # 300 ev/s * 3600 * 730 h = 788,400,000 records a month, 436 B each.
    result = plan(PlanInput(eps_avg=300, eps_peak=600, event_bytes=400), rates)
    by_mode = result["kinesis"]["monthly_usd_by_mode"]
    # provisioned: 1 shard * 730 h * $0.015 + 788.4M PUT units (1 per 436 B record) * $0.014/M
    assert by_mode["provisioned"] == pytest.approx(10.95 + 11.0376)
    # on-demand: 730 h * $0.04 + 788.4M * 1 KiB = 751.8768 GiB * ($0.08 in + $0.04 out)
    assert by_mode["on-demand"] == pytest.approx(29.2 + 751.876831 * 0.12, rel=1e-6)
    assert result["kinesis"]["mode"] == "provisioned"  # cheaper, chosen by "auto"
    lines = lines_by_item(result)
    assert lines["shard-hours"]["monthly_usd"] == pytest.approx(10.95)
    assert lines["PUT payload units"]["quantity"] == pytest.approx(788.4)


def test_put_payload_units_count_25_kib_chunks(rates):
    # A 30,000 B event + 36 B key = 30,036 B: two 25 KiB (25,600 B) units per record.
    result = plan(
        PlanInput(eps_avg=10, eps_peak=10, event_bytes=30_000, kinesis_mode="provisioned"), rates
    )
    units = result["kinesis"]["usage_by_mode"]["provisioned"]["put_payload_units_million"]
    assert units == pytest.approx(10 * 3600 * 730 * 2 / 1e6)


def test_forced_on_demand_mode_itemises_stream_hours_and_data(rates):
    result = plan(
        PlanInput(eps_avg=300, eps_peak=600, event_bytes=400, kinesis_mode="on-demand"), rates
    )
    lines = lines_by_item(result)
    assert lines["on-demand stream-hours"]["monthly_usd"] == pytest.approx(29.2)
    assert lines["on-demand data in"]["quantity"] == pytest.approx(751.876831, rel=1e-6)
    assert "shard-hours" not in lines


# --- Firehose buffers: flush at size or interval, 128 MiB / 900 s at most ---


def test_objects_per_day_when_the_interval_flushes_first(rates):
    # 300 ev/s * (400 + 90 added + 1 newline) = 147,300 B/s; 128 MiB would take 911 s > 300 s.
    f = plan(PlanInput(eps_avg=300, event_bytes=400, buffer_s=300), rates)["firehose"]
    assert f["flush_trigger"] == "interval"
    assert f["objects_per_day"] == 288  # 86,400 / 300
    assert f["objects_per_hour_prefix"] == 12
    assert f["object_mb_uncompressed"] == pytest.approx(147_300 * 300 / 2**20)
    assert f["object_mb_gzip"] == pytest.approx(147_300 * 300 * 0.2 / 2**20)


def test_objects_per_day_when_the_size_flushes_first(rates):
    # 30,000 ev/s * 491 B = 14,730,000 B/s fills 128 MiB in 9.112 s.
    f = plan(PlanInput(eps_avg=30_000, event_bytes=400, buffer_s=300), rates)["firehose"]
    assert f["flush_trigger"] == "size"
    assert f["flush_every_s"] == pytest.approx(134_217_728 / 14_730_000)
    assert f["objects_per_day"] == 9_483  # ceil(86,400 / 9.1118)
    assert f["object_mb_uncompressed"] == pytest.approx(128, rel=1e-3)


def test_maximum_interval_at_300_eps(rates):
    # 900 s * 147,300 B/s = 132.6 MB < 128 MiB (134.2 MB): still the interval flushes first.
    f = plan(PlanInput(eps_avg=300, event_bytes=400, buffer_s=900), rates)["firehose"]
    assert (f["flush_trigger"], f["objects_per_day"]) == ("interval", 96)


def test_fewer_objects_than_intervals_when_events_are_rarer(rates):
    # 0.001 ev/s = 86.4 events a day: at most one object per event, not 288.
    f = plan(PlanInput(eps_avg=0.001, eps_peak=0.001, event_bytes=400), rates)["firehose"]
    assert f["objects_per_day"] == 87


@pytest.mark.parametrize(
    ("event_bytes", "billed"), [(400, 5_120), (5_120, 5_120), (5_121, 10_240), (6_000, 10_240)]
)
def test_firehose_bills_records_in_5_kib_steps(rates, event_bytes, billed):
    result = plan(PlanInput(eps_avg=1, eps_peak=1, event_bytes=event_bytes), rates)
    f = result["firehose"]
    assert f["billed_bytes_per_record"] == billed
    assert f["ingest_gb_per_month"] == pytest.approx(3600 * 730 * billed / 2**30)


def test_firehose_ingest_cost_at_300_eps(rates):
    line = lines_by_item(plan(PlanInput(eps_avg=300, event_bytes=400), rates))[
        "data ingested (5 KiB rounding)"
    ]
    # 788.4M records * 5,120 B = 3,759.384 GiB * $0.029
    assert line["quantity"] == pytest.approx(3_759.384, rel=1e-6)
    assert line["monthly_usd"] == pytest.approx(109.0221, rel=1e-5)


def test_firehose_tiers_above_500_tb():
    gb = 600 * 1024.0  # 600 TB in a month: 500 TB at $0.029, 100 TB at $0.025
    usd = cap.tiered_usd(gb, cap.FIREHOSE_TIERS)
    assert usd == pytest.approx(500 * 1024 * 0.029 + 100 * 1024 * 0.025)


# --- raw and lake volumes ---


def test_raw_and_lake_gb_per_day(rates):
    result = plan(PlanInput(eps_avg=100, event_bytes=1_000), rates)
    events = 8_640_000
    assert result["raw"]["gb_per_day_uncompressed"] == pytest.approx(events * 1_091 / 2**30)
    assert result["raw"]["gb_per_day"] == pytest.approx(events * 1_091 * 0.2 / 2**30)
    assert result["lake"]["gb_per_day"] == pytest.approx(events * 250 / 2**30)
    # 2.01 GiB over 13 event types = 158 MiB each -> 2 files of ~79 MiB per type
    assert result["lake"]["files_per_day"] == 26
    assert result["lake"]["file_mb"] == pytest.approx(events * 250 / 13 / 2 / 2**20)


# --- Glue workers from the per-core rate ---


def test_glue_at_300_eps_needs_the_minimum_two_workers(rates):
    g = plan(PlanInput(eps_avg=300, event_bytes=400), rates)["glue"]
    # 25.92M events; 65,000/core * 0.75 = 48,750/core; 1 executor of 4 cores + 1 driver
    assert g["workers"] == 2
    assert g["runtime_minutes"] == pytest.approx((60 + 25_920_000 / (48_750 * 4)) / 60)
    assert g["dpu_hours_per_day"] == pytest.approx(2 * (60 + 25_920_000 / 195_000) / 3600)


def test_glue_workers_grow_to_fit_the_30_minute_target(rates):
    # 2.592e9 events / (48,750 * 1,800 s) = 29.54 cores -> 8 G.1X executors + driver
    g1 = plan(PlanInput(eps_avg=30_000, event_bytes=400), rates)["glue"]
    assert g1["workers"] == 9
    assert g1["runtime_minutes"] <= 30 + 1  # target plus start-up
    g2 = plan(PlanInput(eps_avg=30_000, event_bytes=400, glue_worker_type="G.2X"), rates)["glue"]
    assert g2["workers"] == 5  # 29.54 / 8 vCPU -> 4 executors + driver
    line = lines_by_item(plan(PlanInput(eps_avg=30_000, event_bytes=400), rates))
    assert line["day job DPU-hours"]["monthly_usd"] == pytest.approx(
        g1["dpu_hours_per_day"] * 730 / 24 * 0.44
    )


# --- Lambda transform ---


def test_lambda_invocations_and_gb_seconds(rates):
    lam = plan(PlanInput(eps_avg=300, event_bytes=400), rates)["lambda"]
    # 10.368e9 B/day / 1 MiB = 9,887.7 -> 9,888 invocations (more than 1,440 by time)
    assert lam["invocations_per_day"] == 9_888
    per_invocation = 0.01 + (25_920_000 / 9_888) / (100_000 * 512 / 1_769)
    assert lam["seconds_per_invocation"] == pytest.approx(per_invocation)
    assert lam["gb_seconds_per_day"] == pytest.approx(9_888 * per_invocation * 0.5)


# --- Athena ---


def test_athena_charges_at_least_10_mb_per_query():
    assert cap.athena_query_usd(1_000) == pytest.approx(10e6 / 2**40 * 5)
    assert cap.athena_query_usd(2**40) == pytest.approx(5.0)


# --- the bill ---


def test_every_cost_line_is_quantity_times_its_named_price(rates):
    result = plan(PlanInput(eps_avg=300, event_bytes=400), rates)
    tiered = {"data ingested (5 KiB rounding)", "storage (raw + lake, steady state)"}
    for line in result["cost"]["lines"]:
        assert line["price_name"] in cap.PRICES, line
        if line["item"] not in tiered and line["service"] != "Athena":
            assert line["monthly_usd"] == pytest.approx(line["quantity"] * line["unit_usd"]), line
    total = sum(line["monthly_usd"] for line in result["cost"]["lines"])
    assert result["cost"]["monthly_usd_total"] == pytest.approx(total)
    lines = lines_by_item(result)
    assert lines["mw1.small environment"]["monthly_usd"] == pytest.approx(357.70)
    assert lines["NAT gateway for MWAA"]["monthly_usd"] == pytest.approx(32.85)
    assert lines["alarms"]["monthly_usd"] == pytest.approx(0.70)


def test_s3_storage_is_tiered():
    usd = cap.tiered_usd(60 * 1024.0, cap.S3_TIERS)  # 60 TB-month
    assert usd == pytest.approx(50 * 1024 * 0.023 + 10 * 1024 * 0.022)


def test_prices_are_named_dated_and_sourced():
    assert cap.PRICES_AS_OF
    assert cap.REGION == "us-east-1"
    for name, price in cap.PRICES.items():
        assert price.usd > 0, name
        assert price.source.startswith("aws.amazon.com/"), name


# --- where the design must change ---


def advice_text(result: dict) -> str:
    return " ".join(a["change"] + " " + a["why"] for a in result["design"]["advice"])


def test_below_one_event_per_second_the_stream_goes(rates):
    text = advice_text(plan(PlanInput(eps_avg=0.3, event_bytes=400), rates))
    assert "Direct PUT" in text
    assert "MWAA" in text


def test_above_30k_events_per_second_runs_go_hourly(rates):
    result = plan(PlanInput(eps_avg=300_000, event_bytes=400), rates)
    assert "hourly" in advice_text(result)
    assert "Direct PUT" not in advice_text(result)
    assert result["kinesis"]["shards"] == 750  # 600k peak / 800


def test_mid_scale_needs_no_redesign(rates):
    text = advice_text(plan(PlanInput(eps_avg=300, event_bytes=400), rates))
    assert "Direct PUT" not in text
    assert "hourly" not in text


def test_nothing_is_nan_or_negative(rates):
    for eps in (0.3, 300, 300_000):
        result = plan(PlanInput(eps_avg=eps, event_bytes=400), rates)
        for line in result["cost"]["lines"]:
            assert math.isfinite(line["monthly_usd"]), line
            assert line["monthly_usd"] >= 0, line


def test_record_aggregation_is_advised_only_when_firehose_rounding_matters(rates):
    mid = advice_text(plan(PlanInput(eps_avg=300, event_bytes=400), rates))
    assert "aggregate several events" in mid  # $109 of a ~$580 bill
    assert "12.8x" in mid  # 5,120 / 400
    low = advice_text(plan(PlanInput(eps_avg=0.3, event_bytes=400), rates))
    assert "aggregate several events" not in low  # $0.11 a month: not worth the complexity
    big = advice_text(plan(PlanInput(eps_avg=300, event_bytes=6_000), rates))
    assert "aggregate several events" not in big  # 10,240 B billed for 6,000 B: under 2x
