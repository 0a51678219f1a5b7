"""CPU accounting shared by the benchmarks: how busy the whole machine and this process were."""

from __future__ import annotations

import os
import resource
from pathlib import Path


def machine_busy() -> float | None:
    """CPU seconds all processes on the machine have used (Linux /proc/stat), or None."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def self_cpu() -> float:
    """CPU seconds of this process."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime
