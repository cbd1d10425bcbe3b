"""Capacity planner: from events/s and event size to shards, buffers, workers and a monthly bill.

Every figure comes from three kinds of input, kept apart so a reader can check each one:
- AWS service limits (`LIMITS`), as documented;
- AWS list prices for us-east-1 (`PRICES`), each named and dated;
- per-core rates measured on this project's own code (eventlake/tools/measured_rates.json), each
  with its source; a few modelling assumptions (`ASSUMPTIONS`) are labelled as such.

The plan is a nested dict (see `plan()`); `eventlake capacity` prints it as tables or JSON.
"""

from __future__ import annotations

import json
import math
import textwrap
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from eventlake.core import job_params
from eventlake.core.errors import UsageError
from eventlake.core.plan import tracking_plan

KIB = 1024
MIB = 1024 * 1024
GIB = 1024**3
TIB = 1024**4
DAY_S = 86_400
HOURS_PER_MONTH = 730  # AWS pricing pages bill a month as 730 hours
DAYS_PER_MONTH = HOURS_PER_MONTH / 24  # 30.4167
PARTITION_KEY_BYTES = 36  # the producer uses event_uuid (36 characters) as the partition key

REGION = "us-east-1"
PRICES_AS_OF = "2026-11-25"
# Package data, so an installed package plans from the same measured rates as a clone.
DEFAULT_RATES_PATH = Path(__file__).resolve().parent / "measured_rates.json"


@dataclass(frozen=True)
class Price:
    usd: float
    unit: str
    source: str


PRICE_PAGES: dict[str, str] = {
    "kinesis": "aws.amazon.com/kinesis/data-streams/pricing",
    "firehose": "aws.amazon.com/firehose/pricing",
    "lambda": "aws.amazon.com/lambda/pricing",
    "s3": "aws.amazon.com/s3/pricing",
    "glue": "aws.amazon.com/glue/pricing",
    "athena": "aws.amazon.com/athena/pricing",
    "mwaa": "aws.amazon.com/managed-workflows-for-apache-airflow/pricing",
    "cloudwatch": "aws.amazon.com/cloudwatch/pricing",
    "nat": "aws.amazon.com/vpc/pricing",
    "kms": "aws.amazon.com/kms/pricing",
}
# us-east-1 on-demand list prices, taken 2026-11-25 from the pages above (stored copies: this
# machine cannot reach aws.amazon.com). Re-check them before budgeting.
# fmt: off
_PRICE_TABLE: tuple[tuple[str, float, str], ...] = (
    ("kinesis_on_demand_stream_hour", 0.04, "stream-hour"),
    ("kinesis_on_demand_ingest_gb", 0.08, "GB in, each record rounded up to 1 KiB"),
    ("kinesis_on_demand_retrieval_gb", 0.04, "GB read by standard consumers"),
    ("kinesis_shard_hour", 0.015, "provisioned shard-hour"),
    ("kinesis_put_payload_units_million", 0.014, "1M PUT payload units of 25 KiB"),
    ("firehose_ingest_gb_first_500tb", 0.029, "GB in (each record rounded up to 5 KiB), first 500 TB/month"),
    ("firehose_ingest_gb_next_1_5pb", 0.025, "GB in, next 1.5 PB/month"),
    ("firehose_ingest_gb_next_3pb", 0.020, "GB in, next 3 PB/month"),
    ("lambda_gb_second", 0.0000166667, "GB-second, x86"),
    ("lambda_requests_million", 0.20, "1M requests"),
    ("s3_standard_gb_month_first_50tb", 0.023, "GB-month, first 50 TB"),
    ("s3_standard_gb_month_next_450tb", 0.022, "GB-month, next 450 TB"),
    ("s3_standard_gb_month_over_500tb", 0.021, "GB-month, over 500 TB"),
    ("s3_put_thousand", 0.005, "1,000 PUT/COPY/POST/LIST requests"),
    ("s3_get_thousand", 0.0004, "1,000 GET requests"),
    ("glue_dpu_hour", 0.44, "DPU-hour, billed per second, 1 minute minimum"),
    ("athena_tb_scanned", 5.00, "TB scanned, 10 MB minimum per query"),
    ("mwaa_small_environment_hour", 0.49, "mw1.small environment-hour (scheduler, web server, 1 worker)"),
    ("mwaa_small_worker_hour", 0.055, "mw1.small additional worker-hour"),
    ("cloudwatch_metric_month", 0.30, "custom metric-month (Kinesis shard-level metrics count)"),
    ("cloudwatch_alarm_month", 0.10, "standard-resolution alarm-month"),
    ("cloudwatch_logs_ingest_gb", 0.50, "GB of logs ingested"),
    ("nat_gateway_hour", 0.045, "NAT gateway-hour"),
    ("kms_key_month", 1.00, "customer managed key-month"),
)
# fmt: on
PRICES: dict[str, Price] = {
    name: Price(usd, unit, PRICE_PAGES[name.split("_")[0]]) for name, usd, unit in _PRICE_TABLE
}


@dataclass(frozen=True)
class Limits:
    """Documented AWS limits the plan checks (docs.aws.amazon.com, read 2026-11-25)."""

    shard_records_per_s: int = 1_000
    shard_bytes_per_s: int = 1 * MIB
    put_payload_unit_bytes: int = 25 * KIB
    on_demand_record_rounding_bytes: int = 1 * KIB
    on_demand_initial_write_bytes_per_s: int = 4 * MIB
    on_demand_max_write_bytes_per_s: int = 10 * 1024 * MIB  # us-east-1; 200 MB/s elsewhere
    shard_quota_per_account: int = 20_000  # us-east-1 default
    firehose_record_rounding_bytes: int = 5 * KIB
    firehose_buffer_mb_min: float = 1
    firehose_buffer_mb_max: float = 128
    firehose_buffer_s_max: int = 900
    firehose_direct_put_records_per_s: int = 500_000  # us-east-1; does not apply to a KDS source
    firehose_direct_put_requests_per_s: int = 2_000
    firehose_direct_put_bytes_per_s: int = 5 * MIB
    firehose_dynamic_active_partitions: int = 500  # raisable to 5,000 per stream
    lambda_mb_per_vcpu: int = 1_769  # Lambda gives one full vCPU at 1,769 MB
    glue_min_workers: int = 2
    glue_min_billed_s: int = 60
    athena_min_bytes_per_query: int = 10 * 1000 * 1000


LIMITS = Limits()

GLUE_WORKERS: dict[str, dict[str, float]] = {
    "G.1X": {"vcpu": 4, "memory_gb": 16, "disk_gb": 94, "dpu": 1},
    "G.2X": {"vcpu": 8, "memory_gb": 32, "disk_gb": 138, "dpu": 2},
}

# Modelling assumptions: not measured here, not AWS facts. Each says why it is what it is.
ASSUMPTIONS: dict[str, dict[str, Any]] = {
    "shard_utilisation": {
        "value": 0.8,
        "why": "size shards for 80% of their write limit; uuid keys spread evenly but bursts are uneven",
    },
    "glue_parallel_efficiency": {
        "value": 0.75,
        "why": "per-core rate was measured on local disk with 2 cores; S3 reads and a networked shuffle cost more",
    },
    "glue_startup_s": {"value": 60, "why": "Glue 6.0 job start-up, conservative"},
    "glue_target_runtime_minutes": {
        "value": 30,
        "why": "nightly job should finish well inside the hour",
    },
    "lambda_overhead_s_per_invocation": {
        "value": 0.01,
        "why": "decode/encode envelope, cold starts amortised",
    },
    "athena_queries_per_day": {
        "value": 20,
        "why": "Soda checks + ad-hoc queries, each over one day's partition",
    },
    "cloudwatch_logs_gb_per_month": {
        "value": 2.0,
        "why": "Glue, MWAA and Lambda logs at INFO level",
    },
    "raw_retention_days": {"value": 30, "why": "infra default raw_expiration_days"},
    "lake_retention_days": {"value": 365, "why": "storage shown at steady state after one year"},
    "lake_target_file_mb": {"value": 128, "why": "the day job aims at ~128 MB Parquet files"},
}


def assumption(name: str) -> float:
    return float(ASSUMPTIONS[name]["value"])


# --- measured rates ---


@dataclass(frozen=True)
class Rate:
    value: float
    unit: str
    source: str


REQUIRED_RATES: tuple[str, ...] = (
    "glue_events_per_s_per_core",
    "transform_records_per_s_per_core",
    "raw_gzip_ratio",
    "lake_bytes_per_raw_byte",
    "transform_added_bytes",
)


def _read_rates(target: Path) -> dict[str, Rate]:

    if not target.exists():
        raise UsageError(f"rates file not found: {target}")
    try:
        entries = json.loads(target.read_text())["rates"]
        return {
            name: Rate(float(e["value"]), str(e["unit"]), _source_text(e["source"]))
            for name, e in entries.items()
        }
    except (ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"rates file {target} is not valid: {exc}") from exc


def load_rates(path: str | Path | None = None) -> dict[str, Rate]:
    """Rates from a measured_rates.json file. A rate the file lacks is the project's measured
    one (eventlake/tools/measured_rates.json), and its source says so."""

    rates = _read_rates(DEFAULT_RATES_PATH)
    if path is not None:
        given = _read_rates(Path(path))
        defaults = {
            name: Rate(rate.value, rate.unit, f"project default, not in {path}: {rate.source}")
            for name, rate in rates.items()
            if name not in given
        }
        rates = {**given, **defaults}
    bad = [n for n in REQUIRED_RATES if n not in rates or rates[n].value <= 0]
    if bad:
        raise UsageError(
            f"rates file {path or DEFAULT_RATES_PATH}: rates must be positive: {', '.join(bad)}"
        )
    return rates


def _source_text(source: Any) -> str:
    if isinstance(source, dict):
        return "; ".join(f"{k}: {v}" for k, v in source.items())
    return str(source)


# --- inputs ---


@dataclass(frozen=True)
class PlanInput:
    eps_avg: float
    event_bytes: int
    eps_peak: float | None = None  # default: twice the average
    buffer_mb: float = 128.0  # infra default firehose_buffer_size_mb
    buffer_s: int = 300  # infra default firehose_buffer_interval_s
    processor_buffer_mb: float = 1.0
    processor_buffer_s: int = 60
    lambda_memory_mb: int = 512
    glue_worker_type: str = "G.1X"
    kinesis_mode: str = "auto"  # auto | provisioned | on-demand
    event_types: int = len(tracking_plan().types)
    lookback_days: int = job_params.default("lookback_days")
    alarms: int = 7  # infra/modules/monitoring
    shard_level_metrics: int = 7  # infra/modules/streaming
    extra_mwaa_workers: int = 0

    @property
    def peak(self) -> float:
        return self.eps_peak if self.eps_peak is not None else 2 * self.eps_avg


def validate_input(inp: PlanInput) -> None:

    if not math.isfinite(inp.eps_avg) or inp.eps_avg <= 0:
        raise UsageError(f"--eps must be a positive number of events per second, got {inp.eps_avg}")
    if inp.eps_peak is not None and (not math.isfinite(inp.eps_peak) or inp.eps_peak < inp.eps_avg):
        raise UsageError(
            f"--peak-eps ({inp.eps_peak}) must be at least the average --eps ({inp.eps_avg})"
        )
    if inp.event_bytes < 2 or inp.event_bytes > 1024 * KIB:
        raise UsageError(
            f"--event-bytes must be between 2 and {1024 * KIB} (Kinesis' 1 MiB record), got {inp.event_bytes}"
        )
    if not LIMITS.firehose_buffer_mb_min <= inp.buffer_mb <= LIMITS.firehose_buffer_mb_max:
        raise UsageError(f"--buffer-mb must be between 1 and 128 (Firehose), got {inp.buffer_mb}")
    if not 0 <= inp.buffer_s <= LIMITS.firehose_buffer_s_max:
        raise UsageError(
            f"--buffer-seconds must be between 0 and 900 (Firehose), got {inp.buffer_s}"
        )
    if not 128 <= inp.lambda_memory_mb <= 10_240:
        raise UsageError(
            f"--lambda-memory-mb must be between 128 and 10240, got {inp.lambda_memory_mb}"
        )
    if inp.glue_worker_type not in GLUE_WORKERS:
        raise UsageError(f"--glue-worker-type must be one of {', '.join(GLUE_WORKERS)}")
    if inp.kinesis_mode not in ("auto", "provisioned", "on-demand"):
        raise UsageError("--kinesis-mode must be auto, provisioned or on-demand")


# --- the stages ---


def kinesis_plan(inp: PlanInput) -> dict[str, Any]:
    """Shards from the per-shard write limits; both capacity modes priced, the cheaper chosen."""
    write_bytes = inp.event_bytes + PARTITION_KEY_BYTES  # the key counts toward 1 MiB/s
    use = assumption("shard_utilisation")
    for_records = math.ceil(inp.peak / (LIMITS.shard_records_per_s * use))
    for_bytes = math.ceil(inp.peak * write_bytes / (LIMITS.shard_bytes_per_s * use))
    shards = max(1, for_records, for_bytes)
    records_month = inp.eps_avg * 3600 * HOURS_PER_MONTH
    units = math.ceil(write_bytes / LIMITS.put_payload_unit_bytes)
    provisioned = {
        "shard_hours": shards * HOURS_PER_MONTH,
        "put_payload_units_million": records_month * units / 1e6,
    }
    billed_kib = math.ceil(write_bytes / LIMITS.on_demand_record_rounding_bytes)
    on_demand_gb = records_month * billed_kib * KIB / GIB
    on_demand = {
        "stream_hours": HOURS_PER_MONTH,
        "ingest_gb": on_demand_gb,
        "retrieval_gb": on_demand_gb,
    }
    costs = {
        "provisioned": provisioned["shard_hours"] * _p("kinesis_shard_hour")
        + provisioned["put_payload_units_million"] * _p("kinesis_put_payload_units_million"),
        "on-demand": on_demand["stream_hours"] * _p("kinesis_on_demand_stream_hour")
        + on_demand_gb * (_p("kinesis_on_demand_ingest_gb") + _p("kinesis_on_demand_retrieval_gb")),
    }
    mode = min(costs, key=costs.__getitem__) if inp.kinesis_mode == "auto" else inp.kinesis_mode
    peak_bytes = inp.peak * write_bytes
    return {
        "mode": mode,
        "shards": shards,
        "shards_for_records": for_records,
        "shards_for_bytes": for_bytes,
        "binding_limit": "records/s" if for_records >= for_bytes else "MiB/s",
        "write_bytes_per_record": write_bytes,
        "peak_records_per_s": inp.peak,
        "peak_mib_per_s": peak_bytes / MIB,
        "peak_utilisation": max(
            inp.peak / (shards * LIMITS.shard_records_per_s),
            peak_bytes / (shards * LIMITS.shard_bytes_per_s),
        ),
        "on_demand_within_initial_capacity": peak_bytes
        <= LIMITS.on_demand_initial_write_bytes_per_s
        and inp.peak <= 4 * LIMITS.shard_records_per_s,
        "on_demand_within_max": peak_bytes <= LIMITS.on_demand_max_write_bytes_per_s,
        "within_shard_quota": shards <= LIMITS.shard_quota_per_account,
        "monthly_usd_by_mode": costs,
        "usage_by_mode": {"provisioned": provisioned, "on-demand": on_demand},
    }


def firehose_plan(inp: PlanInput, rates: dict[str, Rate]) -> dict[str, Any]:
    """Objects per day from the buffer hints: a buffer flushes at its size or its interval."""
    delivered_record = inp.event_bytes + rates["transform_added_bytes"].value + 1  # + newline
    bytes_per_s = inp.eps_avg * delivered_record
    buffer_bytes = inp.buffer_mb * MIB
    fill_s = buffer_bytes / bytes_per_s
    events_day = inp.eps_avg * DAY_S
    if inp.buffer_s == 0 or fill_s < inp.buffer_s:
        flush_s, trigger = fill_s, "size"
    else:
        flush_s, trigger = float(inp.buffer_s), "interval"
    objects_day = min(math.ceil(DAY_S / flush_s), math.ceil(events_day))
    object_bytes = inp.eps_avg * DAY_S * delivered_record / objects_day
    billed_record = math.ceil(inp.event_bytes / LIMITS.firehose_record_rounding_bytes)
    ingest_gb_month = (
        inp.eps_avg
        * 3600
        * HOURS_PER_MONTH
        * billed_record
        * LIMITS.firehose_record_rounding_bytes
        / GIB
    )
    gzip = rates["raw_gzip_ratio"].value
    return {
        "buffer_mb": inp.buffer_mb,
        "buffer_s": inp.buffer_s,
        "flush_trigger": trigger,
        "flush_every_s": flush_s,
        "objects_per_day": objects_day,
        "objects_per_hour_prefix": objects_day / 24,
        "object_mb_uncompressed": object_bytes / MIB,
        "object_mb_gzip": object_bytes * gzip / MIB,
        "delivered_bytes_per_record": delivered_record,
        "delivered_mib_per_s": bytes_per_s / MIB,
        "billed_bytes_per_record": billed_record * LIMITS.firehose_record_rounding_bytes,
        "ingest_gb_per_month": ingest_gb_month,
        "direct_put_fits_quota": inp.peak <= LIMITS.firehose_direct_put_records_per_s
        and inp.peak * inp.event_bytes <= LIMITS.firehose_direct_put_bytes_per_s,
    }


def lambda_plan(inp: PlanInput, rates: dict[str, Rate]) -> dict[str, Any]:
    """Transform invocations from the processor buffer hints; duration from the per-core rate."""
    bytes_day = inp.eps_avg * DAY_S * inp.event_bytes
    events_day = inp.eps_avg * DAY_S
    by_size = bytes_day / (inp.processor_buffer_mb * MIB)
    by_time = DAY_S / inp.processor_buffer_s
    invocations_day = min(math.ceil(max(by_size, by_time)), math.ceil(events_day))
    records_per_invocation = events_day / invocations_day
    vcpu = min(inp.lambda_memory_mb / LIMITS.lambda_mb_per_vcpu, 1.0)
    rate = rates["transform_records_per_s_per_core"].value * vcpu
    seconds = assumption("lambda_overhead_s_per_invocation") + records_per_invocation / rate
    gb_s_day = invocations_day * seconds * inp.lambda_memory_mb / 1024
    return {
        "memory_mb": inp.lambda_memory_mb,
        "vcpu_share": vcpu,
        "invocations_per_day": invocations_day,
        "records_per_invocation": records_per_invocation,
        "seconds_per_invocation": seconds,
        "gb_seconds_per_day": gb_s_day,
        "mean_concurrency": invocations_day * seconds / DAY_S,
        "peak_concurrency": invocations_day * seconds / DAY_S * inp.peak / inp.eps_avg,
        "rate_source": rates["transform_records_per_s_per_core"].source,
    }


def storage_plan(
    inp: PlanInput, rates: dict[str, Rate], firehose: dict[str, Any]
) -> dict[str, Any]:
    events_day = inp.eps_avg * DAY_S
    raw_uncompressed = events_day * firehose["delivered_bytes_per_record"]
    raw_gzip = raw_uncompressed * rates["raw_gzip_ratio"].value
    lake_bytes_per_event = inp.event_bytes * rates["lake_bytes_per_raw_byte"].value
    lake_day = events_day * lake_bytes_per_event
    per_type = lake_day / inp.event_types
    target = assumption("lake_target_file_mb") * MIB
    files_per_type = max(1, math.ceil(per_type / target))
    return {
        "raw": {
            "gb_per_day": raw_gzip / GIB,
            "gb_per_day_uncompressed": raw_uncompressed / GIB,
            "gzip_ratio": rates["raw_gzip_ratio"].value,
            "gzip_ratio_source": rates["raw_gzip_ratio"].source,
        },
        "lake": {
            "gb_per_day": lake_day / GIB,
            "bytes_per_event": lake_bytes_per_event,
            "bytes_per_event_source": rates["lake_bytes_per_raw_byte"].source,
            "files_per_day": files_per_type * inp.event_types,
            "file_mb": per_type / files_per_type / MIB,
            "partitions_per_day": inp.event_types,
        },
    }


def glue_plan(inp: PlanInput, rates: dict[str, Rate]) -> dict[str, Any]:
    """Workers so the day's events fit the target runtime at the measured per-core rate."""
    events_day = inp.eps_avg * DAY_S
    worker = GLUE_WORKERS[inp.glue_worker_type]
    per_core = rates["glue_events_per_s_per_core"].value * assumption("glue_parallel_efficiency")
    target_s = assumption("glue_target_runtime_minutes") * 60
    cores_needed = events_day / (per_core * target_s)
    executors = max(LIMITS.glue_min_workers - 1, math.ceil(cores_needed / worker["vcpu"]))
    workers = executors + 1  # one worker is the driver
    processing_s = events_day / (per_core * executors * worker["vcpu"])
    runtime_s = assumption("glue_startup_s") + processing_s
    billed_s = max(runtime_s, LIMITS.glue_min_billed_s)
    dpu_hours = workers * worker["dpu"] * billed_s / 3600
    return {
        "worker_type": inp.glue_worker_type,
        "workers": workers,
        "executor_cores": executors * worker["vcpu"],
        "runtime_minutes": runtime_s / 60,
        "dpu_hours_per_day": dpu_hours,
        "events_per_s_per_core": rates["glue_events_per_s_per_core"].value,
        "effective_events_per_s_per_core": per_core,
        "rate_source": rates["glue_events_per_s_per_core"].source,
    }


def athena_plan(inp: PlanInput, lake_gb_day: float) -> dict[str, Any]:
    day_bytes = lake_gb_day * GIB
    per_query = {
        "one_day_all_columns": day_bytes,
        "one_day_one_event_type": day_bytes / inp.event_types,
    }
    usd = {k: athena_query_usd(v) for k, v in per_query.items()}
    return {
        "usd_per_query": usd,
        "gb_scanned_per_query": {k: v / GIB for k, v in per_query.items()},
        "queries_per_day": assumption("athena_queries_per_day"),
    }


def athena_query_usd(bytes_scanned: float) -> float:
    billed = max(bytes_scanned, LIMITS.athena_min_bytes_per_query)
    return billed / TIB * _p("athena_tb_scanned")


def tiered_usd(quantity: float, tiers: list[tuple[float, str]]) -> float:
    """Price `quantity` over (tier size, price name) tiers; the last tier is unbounded."""
    total, left = 0.0, quantity
    for size, name in tiers:
        take = left if size == math.inf else min(left, size)
        total += take * _p(name)
        left -= take
        if left <= 0:
            break
    return total


def _p(name: str) -> float:
    return PRICES[name].usd


def _charge(
    service: str, item: str, quantity: float, unit: str, price: str, usd: float | None = None
) -> dict[str, Any]:
    """One cost line: quantity x the named price, unless a tiered `usd` is given."""
    return {
        "service": service,
        "item": item,
        "quantity": quantity,
        "unit": unit,
        "unit_usd": PRICES[price].usd,
        "price_name": price,
        "monthly_usd": quantity * PRICES[price].usd if usd is None else usd,
    }


FIREHOSE_TIERS = [
    (500 * 1024.0, "firehose_ingest_gb_first_500tb"),
    (1536 * 1024.0, "firehose_ingest_gb_next_1_5pb"),
    (math.inf, "firehose_ingest_gb_next_3pb"),
]
S3_TIERS = [
    (50 * 1024.0, "s3_standard_gb_month_first_50tb"),
    (450 * 1024.0, "s3_standard_gb_month_next_450tb"),
    (math.inf, "s3_standard_gb_month_over_500tb"),
]


def kinesis_lines(k: dict[str, Any]) -> list[dict[str, Any]]:
    usage = k["usage_by_mode"][k["mode"]]
    if k["mode"] == "provisioned":
        return [
            _charge("Kinesis", "shard-hours", usage["shard_hours"], "shard-h", "kinesis_shard_hour"),
            _charge("Kinesis", "PUT payload units", usage["put_payload_units_million"], "M units",
                    "kinesis_put_payload_units_million"),
        ]  # fmt: skip
    return [
        _charge("Kinesis", "on-demand stream-hours", usage["stream_hours"], "stream-h",
                "kinesis_on_demand_stream_hour"),
        _charge("Kinesis", "on-demand data in", usage["ingest_gb"], "GB", "kinesis_on_demand_ingest_gb"),
        _charge("Kinesis", "on-demand data out (Firehose)", usage["retrieval_gb"], "GB",
                "kinesis_on_demand_retrieval_gb"),
    ]  # fmt: skip


def cost_lines(inp: PlanInput, plan: dict[str, Any]) -> list[dict[str, Any]]:
    """One line per billed dimension; quantities per month."""
    k, f, lam, glue, lake = (
        plan["kinesis"],
        plan["firehose"],
        plan["lambda"],
        plan["glue"],
        plan["lake"],
    )
    fh_gb = f["ingest_gb_per_month"]
    stored_gb = plan["raw"]["gb_per_day"] * assumption("raw_retention_days")
    stored_gb += lake["gb_per_day"] * assumption("lake_retention_days")
    queries_month = plan["athena"]["queries_per_day"] * DAYS_PER_MONTH
    puts_k = (f["objects_per_day"] + lake["files_per_day"] + 10) * DAYS_PER_MONTH / 1000
    gets_k = (
        f["objects_per_day"] * DAYS_PER_MONTH / 1000 + lake["files_per_day"] * queries_month / 1000
    )
    scanned_tb = (
        plan["athena"]["gb_scanned_per_query"]["one_day_all_columns"] * queries_month / 1024
    )
    athena_usd = plan["athena"]["usd_per_query"]["one_day_all_columns"] * queries_month
    metrics = (
        k["shards"] if k["mode"] == "provisioned" else max(4, k["shards"])
    ) * inp.shard_level_metrics
    logs_gb = assumption("cloudwatch_logs_gb_per_month")
    return [
        *kinesis_lines(k),
        _charge("Firehose", "data ingested (5 KiB rounding)", fh_gb, "GB",
                "firehose_ingest_gb_first_500tb", tiered_usd(fh_gb, FIREHOSE_TIERS)),
        _charge("Lambda", "transform compute", lam["gb_seconds_per_day"] * DAYS_PER_MONTH, "GB-s",
                "lambda_gb_second"),
        _charge("Lambda", "transform requests", lam["invocations_per_day"] * DAYS_PER_MONTH / 1e6,
                "M req", "lambda_requests_million"),
        _charge("S3", "storage (raw + lake, steady state)", stored_gb, "GB-month",
                "s3_standard_gb_month_first_50tb", tiered_usd(stored_gb, S3_TIERS)),
        _charge("S3", "PUT requests (raw objects, lake files, reports)", puts_k, "k req", "s3_put_thousand"),
        _charge("S3", "GET requests (day job, Athena)", gets_k, "k req", "s3_get_thousand"),
        _charge("Glue", "day job DPU-hours", glue["dpu_hours_per_day"] * DAYS_PER_MONTH, "DPU-h",
                "glue_dpu_hour"),
        _charge("Athena", "queries over one day's partition", scanned_tb, "TB", "athena_tb_scanned",
                athena_usd),
        _charge("MWAA", "mw1.small environment", HOURS_PER_MONTH, "env-h", "mwaa_small_environment_hour"),
        _charge("MWAA", "additional workers", inp.extra_mwaa_workers * HOURS_PER_MONTH, "worker-h",
                "mwaa_small_worker_hour"),
        _charge("VPC", "NAT gateway for MWAA", HOURS_PER_MONTH, "h", "nat_gateway_hour"),
        _charge("CloudWatch", "Kinesis shard-level metrics", metrics, "metrics", "cloudwatch_metric_month"),
        _charge("CloudWatch", "alarms", inp.alarms, "alarms", "cloudwatch_alarm_month"),
        _charge("CloudWatch", "logs ingested", logs_gb, "GB", "cloudwatch_logs_ingest_gb"),
        _charge("KMS", "data key", 1, "key", "kms_key_month"),
    ]  # fmt: skip


# --- where the design must change ---

LOW_EPS = 1.0
HIGH_EPS = 30_000.0
SMALL_OBJECT_MB = 1.0


def design_advice(inp: PlanInput, plan: dict[str, Any]) -> list[dict[str, str]]:
    advice: list[dict[str, str]] = []
    total = plan["cost"]["monthly_usd_total"]
    fixed = sum(
        line["monthly_usd"]
        for line in plan["cost"]["lines"]
        if line["service"] in ("MWAA", "VPC")
        or line["item"] in ("shard-hours", "on-demand stream-hours")
    )
    if inp.eps_avg < LOW_EPS:
        advice.append({
            "change": "drop the Kinesis stream: Firehose Direct PUT, with batching in the producer",
            "why": f"below ~{LOW_EPS:g} event/s the stream's hourly charge and MWAA's floor are "
            f"{fixed / total:.0%} of the bill; Direct PUT's quota (500k records/s, 5 MiB/s) is far "
            "above the load, and PutRecordBatch of up to 500 records keeps requests few",
        })  # fmt: skip
        advice.append({
            "change": "schedule the day job without MWAA (EventBridge Scheduler + Step Functions or a Glue trigger)",
            "why": f"MWAA mw1.small costs ${HOURS_PER_MONTH * _p('mwaa_small_environment_hour'):,.0f}/month whatever the load",
        })  # fmt: skip
    if inp.eps_avg > HIGH_EPS:
        glue, raw = plan["glue"], plan["raw"]
        advice.append({
            "change": "run the job hourly (or per few hours), partition by event_hour, or dedupe in a stream (Managed Flink)",
            "why": f"one nightly run must parse {raw['gb_per_day_uncompressed']:,.0f} GiB of JSON with "
            f"{glue['workers']} {glue['worker_type']} workers; the dedupe shuffle and the lookback anti-join "
            f"over {inp.lookback_days} days of uuids grow with the day, a failed run delays a whole day, "
            "and hourly runs keep each shuffle inside worker memory and disk",
        })  # fmt: skip
    billed = next(x for x in plan["cost"]["lines"] if x["service"] == "Firehose")["monthly_usd"]
    f = plan["firehose"]
    if f["billed_bytes_per_record"] >= 2 * inp.event_bytes and billed >= 0.05 * total:
        packed_gb = inp.eps_avg * 3600 * HOURS_PER_MONTH * inp.event_bytes / GIB
        advice.append({
            "change": "aggregate several events per Kinesis record (5 KiB or more) if Firehose ingestion dominates",
            "why": f"Firehose bills each record rounded up to 5 KiB: a {inp.event_bytes} B event is billed as "
            f"{f['billed_bytes_per_record']:,} B ({f['billed_bytes_per_record'] / inp.event_bytes:.1f}x); "
            f"packed records would bill about ${tiered_usd(packed_gb, FIREHOSE_TIERS):,.0f} instead of "
            f"${billed:,.0f} a month, but the transform must then split records",
        })  # fmt: skip
    if plan["firehose"]["object_mb_gzip"] < SMALL_OBJECT_MB:
        advice.append({
            "change": f"raise the Firehose buffer interval to {LIMITS.firehose_buffer_s_max} s",
            "why": f"raw objects are {plan['firehose']['object_mb_gzip'] * 1024:,.0f} KiB each "
            f"({plan['firehose']['objects_per_day']:,} a day): small files cost PUT/GET requests and task overhead",
        })  # fmt: skip
    if plan["lake"]["file_mb"] < 16:
        advice.append({
            "change": "compact lake partitions monthly, or partition by month instead of day",
            "why": f"lake files are {plan['lake']['file_mb']:.2f} MiB; Athena and Spark pay per file opened",
        })  # fmt: skip
    if plan["lambda"]["peak_concurrency"] > 40:
        advice.append({
            "change": "raise the transform Lambda's reserved concurrency (infra default 50)",
            "why": f"peak concurrency is about {plan['lambda']['peak_concurrency']:.0f}",
        })  # fmt: skip
    k = plan["kinesis"]
    if k["shards"] > 100:
        metrics_usd = next(
            x for x in plan["cost"]["lines"] if x["item"] == "Kinesis shard-level metrics"
        )
        advice.append({
            "change": "keep only a few shard-level metrics (e.g. WriteProvisionedThroughputExceeded)",
            "why": f"{k['shards']} shards x {inp.shard_level_metrics} enhanced metrics cost "
            f"${metrics_usd['monthly_usd']:,.0f}/month; resharding also takes time (UpdateShardCount "
            "at most doubles a stream per call)",
        })  # fmt: skip
    if not k["within_shard_quota"] or not k["on_demand_within_max"]:
        advice.append({
            "change": "split the stream, or request a quota increase",
            "why": "the shard count exceeds the account's default shard quota or on-demand maximum",
        })  # fmt: skip
    return advice


def binding_limits(inp: PlanInput, plan: dict[str, Any]) -> list[str]:
    """The limits closest to binding at this load, in words."""
    k, f, g = plan["kinesis"], plan["firehose"], plan["glue"]
    found = [
        f"Kinesis: {k['shards']} shard(s), bound by {k['binding_limit']} "
        f"(peak {k['peak_records_per_s']:,.1f} records/s, {k['peak_mib_per_s']:.3f} MiB/s; "
        f"{k['peak_utilisation']:.0%} of the provisioned write limit)",
        f"Firehose: flushes by {f['flush_trigger']} every {f['flush_every_s']:,.1f} s -> "
        f"{f['objects_per_day']:,} objects/day ({f['objects_per_hour_prefix']:,.1f} per hour prefix)",
        f"Glue: {g['workers']} x {g['worker_type']} for ~{g['runtime_minutes']:.1f} min/day "
        f"(minimum {LIMITS.glue_min_workers} workers)",
    ]
    if not f["direct_put_fits_quota"]:
        found.append("Firehose Direct PUT quota (500k records/s, 5 MiB/s) would bind without KDS")
    return found


def plan(inp: PlanInput, rates: dict[str, Rate] | None = None) -> dict[str, Any]:
    """The whole plan as a nested dict (the JSON output)."""
    validate_input(inp)
    rates = rates if rates is not None else load_rates()
    result: dict[str, Any] = {
        "inputs": {**asdict(inp), "eps_peak": inp.peak, "region": REGION},
        "kinesis": kinesis_plan(inp),
        "firehose": firehose_plan(inp, rates),
        "lambda": lambda_plan(inp, rates),
    }
    result.update(storage_plan(inp, rates, result["firehose"]))
    result["glue"] = glue_plan(inp, rates)
    result["athena"] = athena_plan(inp, result["lake"]["gb_per_day"])
    lines = cost_lines(inp, result)
    result["cost"] = {
        "region": REGION,
        "prices_as_of": PRICES_AS_OF,
        "monthly_usd_total": sum(line["monthly_usd"] for line in lines),
        "lines": lines,
        "excluded": "data transfer out of AWS, Glue Data Catalog (free under 1M objects), "
        "ECR image storage, KMS requests, MWAA metadata storage",
    }
    result["design"] = {
        "advice": design_advice(inp, result),
        "binding_limits": binding_limits(inp, result),
    }
    result["rates"] = {name: asdict(rate) for name, rate in rates.items()}
    result["assumptions"] = ASSUMPTIONS
    result["prices"] = {name: asdict(p) for name, p in PRICES.items()}
    return result


# --- output ---


def render(result: dict[str, Any], console: Any) -> None:
    """Readable tables (rich) for one plan."""
    from rich.table import Table

    i = result["inputs"]
    console.print(
        f"[bold]Capacity plan[/] for {i['eps_avg']:,g} events/s average, "
        f"{i['eps_peak']:,g} peak, {i['event_bytes']:,} B per event ({result['cost']['region']}, "
        f"prices as of {result['cost']['prices_as_of']})"
    )
    k, f, lam, g = result["kinesis"], result["firehose"], result["lambda"], result["glue"]
    sizing = Table(title="Sizing", show_header=True, header_style="bold")
    sizing.add_column("stage")
    sizing.add_column("figure")
    sizing.add_column("value", justify="right")
    rows = [
        ("Kinesis", "mode", k["mode"]),
        ("Kinesis", "shards (records / bytes need)", f"{k['shards']} ({k['shards_for_records']} / {k['shards_for_bytes']})"),
        ("Firehose", "buffer", f"{f['buffer_mb']:g} MiB / {f['buffer_s']} s, flushes by {f['flush_trigger']}"),
        ("Firehose", "objects/day", f"{f['objects_per_day']:,}"),
        ("Firehose", "object size (gzip)", f"{f['object_mb_gzip']:,.3f} MiB"),
        ("Lambda", "invocations/day", f"{lam['invocations_per_day']:,}"),
        ("Lambda", "peak concurrency", f"{lam['peak_concurrency']:,.2f}"),
        ("S3 raw", "GiB/day (gzip)", f"{result['raw']['gb_per_day']:,.3f}"),
        ("S3 lake", "GiB/day (Parquet)", f"{result['lake']['gb_per_day']:,.3f}"),
        ("S3 lake", "files/day, MiB per file", f"{result['lake']['files_per_day']:,}, {result['lake']['file_mb']:,.2f}"),
        ("Glue", "workers", f"{g['workers']} x {g['worker_type']}"),
        ("Glue", "runtime", f"{g['runtime_minutes']:,.1f} min ({g['dpu_hours_per_day']:,.2f} DPU-h/day)"),
        ("Athena", "one-day query", f"${result['athena']['usd_per_query']['one_day_all_columns']:,.5f}"),
    ]  # fmt: skip
    for row in rows:
        sizing.add_row(*row)
    console.print(sizing)
    cost = Table(title="Monthly cost (USD)", header_style="bold")
    for name, justify in (("service", "left"), ("item", "left"), ("quantity", "right"),
                          ("unit price", "right"), ("USD", "right")):  # fmt: skip
        cost.add_column(name, justify=justify)
    for line in result["cost"]["lines"]:
        cost.add_row(
            line["service"],
            line["item"],
            f"{line['quantity']:,.2f} {line['unit']}",
            f"${line['unit_usd']:g}",
            f"{line['monthly_usd']:,.2f}",
        )
    cost.add_row("[bold]total", "", "", "", f"[bold]{result['cost']['monthly_usd_total']:,.2f}")
    console.print(cost)
    console.print("[bold]Limits closest to binding[/]")
    for text in result["design"]["binding_limits"]:
        console.print(f"  - {text}")
    if result["design"]["advice"]:
        console.print("[bold]Where the design should change[/]")
        for item in result["design"]["advice"]:
            console.print(f"  - [bold]{item['change']}[/]: {item['why']}")
    console.print("[bold]Measured rates used[/]")
    for name in ("glue_events_per_s_per_core", "transform_records_per_s_per_core",
                 "raw_gzip_ratio", "lake_bytes_per_raw_byte"):  # fmt: skip
        rate = result["rates"][name]
        source = textwrap.shorten(rate["source"], 150, placeholder=" ...")
        value = f"{rate['value']:,.0f}" if rate["value"] >= 100 else f"{rate['value']:.3g}"
        console.print(f"  - {name} = {value} {rate['unit']}  [dim]({source})[/]")
