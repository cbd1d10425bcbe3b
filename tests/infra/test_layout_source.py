"""Terraform and the Python code share one S3 layout: storage_layout.json."""

from __future__ import annotations

import re
from pathlib import Path

from eventlake.core import layout

INFRA = Path(__file__).resolve().parents[2] / "infra"


def test_terraform_reads_the_layout_file_the_python_code_reads():
    main_tf = (INFRA / "main.tf").read_text()
    match = re.search(r'jsondecode\(file\("\$\{path\.module\}/([^"]+)"\)\)', main_tf)
    assert match, "infra/main.tf must jsondecode(file(...)) the storage layout"
    assert (INFRA / match.group(1)).resolve() == layout.LAYOUT_FILE.resolve()


def test_firehose_prefixes_come_from_the_layout_not_literals():
    # The configured values are compared with the JSON by infra/tests/streaming.tftest.hcl.
    main_tf = (INFRA / "main.tf").read_text()
    for name in ("firehose_prefix", "firehose_error_prefix"):
        wiring = rf"\b{name}\s+= local\.storage_layout\.raw\.{name}\b"
        assert re.search(wiring, main_tf), (
            f"the streaming module's {name} must come from the layout"
        )
    for tf_file in INFRA.rglob("*.tf"):
        text = tf_file.read_text()
        for prefix in (layout.firehose_prefix(), layout.firehose_error_prefix()):
            assert prefix not in text, f"{tf_file} hard-codes {prefix}; read storage_layout.json"
