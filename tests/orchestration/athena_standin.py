"""Athena's stand-in for the aws target's quality_checks: the same Soda contract, on DuckDB.

Athena cannot run against moto. This script takes the scan's own arguments and runs
`eventlake.quality.scan` with one change: instead of Athena, a DuckDB database built only from
what the (emulated) Glue catalog says. Each table's columns and types come from the table's
storage descriptor, and its rows from exactly the partitions registered for it, read at the
partitions' locations. So a table or a partition the catalog lacks is missing here as it would
be in Athena, and the checks fail. It runs as the scan does: `soda_python` points at a wrapper
that calls it with the scan's arguments.

It also writes what the catalog held when the checks started (`--seen` file), so the test can
compare it with the manifest.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import boto3

from eventlake.core.tables import DUCKDB_TYPES
from eventlake.quality import scan
from eventlake.quality.soda_contract import ATHENA_CATALOG, AUDITED_TABLE

SEEN_FILE = "EVENTLAKE_STANDIN_SEEN"  # env: where to write the partitions the checks saw


def duck_type(glue_type: str) -> str:
    return DUCKDB_TYPES.get(glue_type, "JSON")


def athena_twin(args: Any, folder: Path) -> tuple[Any, list[list[str]]]:
    """A DuckDB connection where "<database>"."events_audit" is what Athena would read."""
    import duckdb

    glue = boto3.client("glue", region_name=args.region_name or None)
    s3 = boto3.client("s3", region_name=args.region_name or None)
    spec = glue.get_table(DatabaseName=args.glue_database, Name=AUDITED_TABLE)["Table"]
    columns = spec["StorageDescriptor"]["Columns"]
    keys = spec["PartitionKeys"]
    pages = glue.get_paginator("get_partitions").paginate(
        DatabaseName=args.glue_database, TableName=AUDITED_TABLE
    )
    partitions = [p for page in pages for p in page["Partitions"]]
    con = duckdb.connect()
    con.execute(f"ATTACH ':memory:' AS {ATHENA_CATALOG}")
    con.execute(f"CREATE SCHEMA {ATHENA_CATALOG}.{args.glue_database}")
    con.execute(f"USE {ATHENA_CATALOG}.{args.glue_database}")
    con.execute("CREATE MACRO to_unixtime(v) AS epoch(v)")  # Athena's name for DuckDB's epoch()
    selects = []
    for index, partition in enumerate(partitions):
        bucket, _, prefix = (
            partition["StorageDescriptor"]["Location"].removeprefix("s3://").partition("/")
        )
        files = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                if obj["Key"].endswith(".parquet"):
                    target = folder / str(index) / Path(obj["Key"]).name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    s3.download_file(bucket, obj["Key"], str(target))
                    files.append(str(target))
        if not files:
            continue
        values = [
            f"CAST('{value}' AS {duck_type(key['Type'])}) AS {key['Name']}"
            for key, value in zip(keys, partition["Values"], strict=True)
        ]
        typed = [f"CAST({c['Name']} AS {duck_type(c['Type'])}) AS {c['Name']}" for c in columns]
        selects.append(f"SELECT {', '.join(typed + values)} FROM read_parquet({files!r})")
    if not selects:  # a table with no partitions: no rows, the declared columns
        empty = [f"NULL::{duck_type(c['Type'])} AS {c['Name']}" for c in [*columns, *keys]]
        selects.append(f"SELECT {', '.join(empty)} WHERE false")
    con.execute(f"CREATE VIEW {AUDITED_TABLE} AS {' UNION ALL '.join(selects)}")
    # Soda's DuckDB dialect looks a dataset's columns up with the first prefix as the schema.
    con.execute(f'CREATE SCHEMA memory."{ATHENA_CATALOG}"')
    con.execute(
        f'CREATE VIEW memory."{ATHENA_CATALOG}".{AUDITED_TABLE} AS '
        f"SELECT * FROM {ATHENA_CATALOG}.{args.glue_database}.{AUDITED_TABLE}"
    )
    return con, [p["Values"] for p in partitions]


def main(argv: list[str]) -> int:
    from soda_duckdb.common.data_sources.duckdb_data_source import DuckDBDataSourceImpl

    args = scan.build_parser().parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="athena-standin-") as tmp:
        con, seen = athena_twin(args, Path(tmp))
        if os.environ.get(SEEN_FILE):
            Path(os.environ[SEEN_FILE]).write_text(json.dumps(seen))
        source = DuckDBDataSourceImpl.from_existing_cursor(
            con, name=scan.source_for(args).dataset.split("/")[0]
        )
        return scan.main(argv, data_sources={"data_sources": [source]})


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
