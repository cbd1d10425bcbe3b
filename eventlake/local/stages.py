"""The demo's screen: one line per stage, live bars on a terminal, every other line to a log.

On a terminal a stage that runs shows a progress bar (rich), and its line stays when it
ends. Anywhere else (a pipe, CI) each stage prints one plain line when it ends, with no
escape codes. The output of the commands the demo runs (Airflow's task logs, Spark, py4j)
goes to the log file, each line tagged with its step; `verbose` also shows it on screen.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from eventlake.cli.console import PROGRESS_PREFIX

LineHandler = Callable[[str], None]


@dataclass
class Stage:
    """What a running stage shows: its bar (completed of total) and a one-line detail."""

    title: str
    completed: float = 0.0
    total: float | None = None
    detail: str = ""
    _changed: Callable[[Stage], None] = field(default=lambda stage: None, repr=False)

    def update(
        self, completed: float | None = None, total: float | None = None, detail: str | None = None
    ) -> None:
        if completed is not None:
            self.completed = completed
        if total is not None:
            self.total = total
        if detail is not None:
            self.detail = detail
        self._changed(self)


class StepFailed(Exception):
    """A command of the demo exited non-zero; the message names it and the log."""


class Screen:
    """Stage lines for people, the rest to `log_path`."""

    def __init__(self, log_path: Path, verbose: bool = False, interactive: bool | None = None):
        from rich.console import Console

        self.console = Console(highlight=False, soft_wrap=True)
        self.interactive = self.console.is_terminal if interactive is None else interactive
        self.verbose = verbose
        self.log_path = log_path
        self._log: IO[str] = log_path.open("a", encoding="utf-8", errors="replace")
        self._lock = threading.Lock()
        self._progress: Any = None
        if self.interactive and not verbose:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("  {task.description:<24}"),
                BarColumn(bar_width=28),
                TextColumn("{task.fields[detail]}"),
                TimeElapsedColumn(),
                console=self.console,
                transient=False,
                redirect_stdout=False,
                redirect_stderr=False,
            )

    def __enter__(self) -> Screen:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
        self._log.close()

    # --- what people see ---

    def say(self, text: str) -> None:
        """A line on screen (and in the log)."""
        self.log_line("demo", text)
        if self._progress is not None:
            self._progress.console.print(text, markup=False)
        else:
            print(text, flush=True)

    @contextlib.contextmanager
    def stage(self, title: str) -> Iterator[Stage]:
        """A stage: a live bar while it runs, then one line `✓ title  detail  12.3 s`."""
        started = time.perf_counter()
        task = None
        if self._progress is not None:
            task = self._progress.add_task(title, total=None, detail="")

            def changed(stage: Stage) -> None:
                self._progress.update(
                    task, completed=stage.completed, total=stage.total, detail=stage.detail
                )

            stage = Stage(title, _changed=changed)
        else:
            stage = Stage(title)
        self.log_line("demo", f"stage {title}: started")
        try:
            yield stage
        except BaseException:
            self._finish(task, "✗", stage, time.perf_counter() - started)
            raise
        self._finish(task, "✓", stage, time.perf_counter() - started)

    def _finish(self, task: Any, mark: str, stage: Stage, seconds: float) -> None:
        if task is not None:
            self._progress.remove_task(task)
        detail = f"  {stage.detail}" if stage.detail else ""
        self.say(f"{mark} {stage.title:<24}{detail}  ({seconds:.1f} s)")

    # --- the log ---

    def log_line(self, step: str, line: str) -> None:
        with self._lock:
            self._log.write(f"[{step}] {line}\n")
            self._log.flush()
        if self.verbose and step != "demo":
            print(f"[{step}] {line}", flush=True)

    def run(
        self,
        step: str,
        command: list[str],
        env: dict[str, str] | None = None,
        on_line: LineHandler | None = None,
        timeout_s: float = 1800.0,
    ) -> None:
        """Run a command to its end, its output to the log (and `on_line`); raise if it fails."""
        code = self.start(step, command, env, on_line).wait(timeout_s)
        if code != 0:
            raise StepFailed(f"{step} failed (exit {code}); its output is in {self.log_path}")

    def start(
        self,
        step: str,
        command: list[str],
        env: dict[str, str] | None = None,
        on_line: LineHandler | None = None,
    ) -> Running:
        """Start a command in the background; its output goes to the log as it comes."""
        proc = subprocess.Popen(
            command,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
            bufsize=1,
        )
        reader = threading.Thread(
            target=self._pump, args=(step, proc, on_line), name=f"log-{step}", daemon=True
        )
        reader.start()
        return Running(step, proc, reader)

    def _pump(self, step: str, proc: subprocess.Popen, on_line: LineHandler | None) -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.rstrip("\n")
            if not line.startswith(PROGRESS_PREFIX):  # twice a second: not worth keeping
                self.log_line(step, line)
            if on_line is not None:
                on_line(line)


@dataclass
class Running:
    step: str
    proc: subprocess.Popen
    reader: threading.Thread

    def wait(self, timeout_s: float = 1800.0) -> int:
        """The exit code; a command still running after `timeout_s` is killed (Airflow's
        `dags test` can ignore SIGTERM when it hangs)."""
        try:
            code = self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.reader.join(timeout=10)
        return code

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
