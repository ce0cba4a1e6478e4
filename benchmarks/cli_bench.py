"""Benchmark of the command line's start-up: whole-process wall time of ``landrelease --help``
and ``landrelease summary --help`` (median of N runs; target ≤ 0.4 s each).

Each run is a new Python process (``python -m landrelease``, the same code the console script
runs), so imports are counted as a user waits for them. On a shared, loaded machine the wall
time includes waiting for a core, so the CPU time of the process (user + system, from
``getrusage``) is printed beside it as ``*_cpu_seconds``: on an idle machine wall ≈ CPU.
Prints ``name=value`` lines. ``--smoke`` runs each command three times.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def whole_process_seconds(args: list[str], runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of ``runs`` fresh processes running the CLI with ``args`` (each must
    exit 0 and print its usage)."""
    wall, cpu = [], []
    for _ in range(runs):
        c0, t0 = _children_cpu(), time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "landrelease", *args], capture_output=True, text=True)
        wall.append(time.perf_counter() - t0)
        cpu.append(_children_cpu() - c0)
        if done.returncode != 0 or "Usage" not in done.stdout:
            raise SystemExit(f"landrelease {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15, help="processes per command (median reported)")
    parser.add_argument("--smoke", action="store_true", help="three runs per command")
    opts = parser.parse_args()
    runs = 3 if opts.smoke else opts.runs
    whole_process_seconds(["--help"], 1)  # warm the file cache and byte-code once, not counted
    for name, args in (("cli_help_seconds", ["--help"]), ("summary_help_seconds", ["summary", "--help"])):
        wall, cpu = whole_process_seconds(args, runs)
        print(f"{name}={statistics.median(wall):.3f}")
        print(f"{name}_max={max(wall):.3f}")
        print(f"{name.removesuffix('_seconds')}_cpu_seconds={statistics.median(cpu):.3f}")
    print(f"runs={runs}")


if __name__ == "__main__":
    main()
