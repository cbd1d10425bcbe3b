"""Terminal helpers shared by the long-running commands: live stats and clean signal stops."""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any, Protocol

# `--progress` lines start with this, so a caller (the demo) can pick them out of the output.
PROGRESS_PREFIX = "eventlake-progress "


class HasStatsLine(Protocol):
    def line(self) -> str: ...


class HasStatsDict(Protocol):
    def as_dict(self) -> dict[str, Any]: ...


@contextlib.contextmanager
def stop_on_signals(request_stop: Callable[[], None]) -> Iterator[None]:
    """SIGINT and SIGTERM ask the command to stop (flush, spool) instead of killing it."""

    def handle(signum: int, frame: Any) -> None:
        request_stop()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def live_stats(stats: HasStatsLine, quiet: bool) -> Iterator[None]:
    """A one-line live view of `stats.line()` on a terminal; nothing when piped or quiet."""
    from rich.console import Console

    console = Console(stderr=True)
    if quiet or not console.is_terminal:
        yield
        return
    from rich.live import Live
    from rich.text import Text

    with Live(
        get_renderable=lambda: Text(stats.line()),
        console=console,
        refresh_per_second=4,
        transient=True,
    ):
        yield


@contextlib.contextmanager
def progress_lines(stats: HasStatsDict, enabled: bool, every_s: float = 0.5) -> Iterator[None]:
    """With `--progress`: `eventlake-progress {json}` on stdout every `every_s` and at the end.

    For a program driving the command (the demo's progress bars); people get `live_stats`.
    """
    if not enabled:
        yield
        return
    done = threading.Event()

    def emit() -> None:
        sys.stdout.write(PROGRESS_PREFIX + json.dumps(stats.as_dict(), default=str) + "\n")
        sys.stdout.flush()

    def loop() -> None:
        while not done.wait(every_s):
            emit()

    thread = threading.Thread(target=loop, name="progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        emit()
