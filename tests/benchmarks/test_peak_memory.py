"""The benchmarks' peak memory counts a process tree's pages once: a fork that has not yet
exec'd its program (the JVM runs chmod this way) shares its parent's pages."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import bench_day_job  # a script folder, not a package


def test_a_fork_that_has_not_exec_d_is_not_counted_and_a_program_is() -> None:
    fork = os.fork()
    if fork == 0:  # the child: still this Python, as a JVM's child is until it execs chmod
        time.sleep(5)
        os._exit(0)
    program = subprocess.Popen(["sleep", "5"])
    try:
        time.sleep(0.2)
        assert bench_day_job._unexeced_fork(psutil.Process(fork))
        assert not bench_day_job._unexeced_fork(psutil.Process(program.pid)), "sleep has exec'd"
        assert not bench_day_job._unexeced_fork(psutil.Process()), "the parent itself counts"
    finally:
        os.kill(fork, 9)
        os.waitpid(fork, 0)
        program.kill()
        program.wait()


def test_the_measured_process_counts_from_its_first_moment() -> None:
    """The measured process is this Python's child, and young: it is never taken for a fork."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.5)"])
    peak = bench_day_job._sample_peak_rss(psutil.Process(child.pid), child)
    assert peak.rss > 1 << 20
