"""The `eventlake` command: every subcommand registers, and shared argument types fail clearly."""

from __future__ import annotations

import argparse

import pytest

from eventlake import cli
from eventlake.cli import args as cli_args

# Each command that takes a day, with the other arguments it requires.
DATE_ARGUMENTS = [
    ("generate", "--date", ["--events", "10", "--out", "x"]),
    ("produce", "--date", ["--stream", "s"]),
    ("firehose-local", "--simulate-day", ["--stream", "s", "--raw", "x"]),
    ("run-day", "--date", ["--raw", "x", "--lake", "x", "--quarantine", "x", "--reports", "x"]),
    ("demo", "--date", []),
]


def test_every_command_module_registers_a_command(capsys) -> None:
    parser = cli.build_parser()
    commands = parser._subparsers._group_actions[0].choices
    assert len(commands) >= len(cli.COMMAND_MODULES)
    for name in commands:
        with pytest.raises(SystemExit) as stopped:
            cli.main([name, "--help"])
        assert stopped.value.code == 0, name
        assert "usage: eventlake" in capsys.readouterr().out


@pytest.mark.parametrize(("command", "option", "others"), DATE_ARGUMENTS)
def test_a_bad_day_is_a_one_line_usage_error(command, option, others, capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main([command, option, "24/11/2026", *others])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "not a date (YYYY-MM-DD): '24/11/2026'" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("text", ["0", "-3", "ten", "1.5"])
def test_positive_int_rejects_what_is_not_a_count(text) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=r"whole number|at least 1"):
        cli_args.positive_int(text)
    assert cli_args.positive_int("7") == 7


def test_nested_quarantine_replay_has_help_and_a_bad_day_is_a_usage_error(capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(["quarantine", "replay", "--help"])
    assert stopped.value.code == 0
    assert "usage: eventlake quarantine replay" in capsys.readouterr().out
    with pytest.raises(SystemExit) as stopped:
        cli.main(["quarantine", "replay", "--run-date", "24/11/2026", "--quarantine", "x"])
    assert stopped.value.code == 2
    assert "not a date (YYYY-MM-DD): '24/11/2026'" in capsys.readouterr().err
