"""The demo's replay ledger: each accepted record keeps its intended arrival, even duplicates."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from eventlake.local.firehose import DaySimulation
from eventlake.local.replay import ReplayLedger, load_replay_ledger


def test_same_bytes_sent_twice_keep_their_own_arrivals(tmp_path: Path) -> None:
    ledger_path = tmp_path / "ledger.txt"
    ledger = ReplayLedger(ledger_path)
    natural_duplicate = b'{"event_uuid": "x"}'  # the generator reuses the very same bytes
    ledger.expect(natural_duplicate, 100.0)
    ledger.expect(natural_duplicate, 160.0)
    ledger.sent(
        [(natural_duplicate, "x"), (natural_duplicate, "x")],
        [
            {"ShardId": "shard-0", "SequenceNumber": "1"},
            {
                "ShardId": "shard-0",
                "SequenceNumber": "2",
                "ErrorCode": "ProvisionedThroughputExceededException",
            },
        ],
    )
    ledger.sent([(natural_duplicate, "x")], [{"ShardId": "shard-1", "SequenceNumber": "9"}])
    ledger.close()
    loaded = load_replay_ledger(ledger_path)
    assert loaded == {("shard-0", "1"): 100.0, ("shard-1", "9"): 160.0}


def test_simulation_uses_the_ledger_and_maps_the_rest_linearly() -> None:
    simulation = DaySimulation(
        date(2026, 11, 24),
        speed=10.0,
        offset_s=0.0,
        anchor_ms=1_000_000,
        ledger={("s", "1"): 1795500000.5},
    )
    assert simulation.map_ms(5_000_000, "s", "1") == 1795500000500
    day_start_ms = 1795478400 * 1000
    assert simulation.map_ms(1_002_000, "s", "2") == day_start_ms + 20_000
