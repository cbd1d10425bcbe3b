"""Terminal helpers shared by the long-running commands: live stats and clean signal stops."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterator
from typing import Any, Protocol


class HasStatsLine(Protocol):
    def line(self) -> str: ...


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
