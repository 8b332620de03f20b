"""A small progress bar on standard error, for long commands (demo load, imports)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, label: str, total: int, *, stream: TextIO = sys.stderr, width: int = 30):
        self.label = label
        self.total = max(total, 1)
        self.done = 0
        self.stream = stream
        self.width = width
        self.started = time.monotonic()
        self._draw()

    def advance(self, amount: int = 1) -> None:
        self.done = min(self.done + amount, self.total)
        self._draw()

    def finish(self) -> float:
        self.done = self.total
        self._draw()
        self.stream.write("\n")
        self.stream.flush()
        return time.monotonic() - self.started

    def _draw(self) -> None:
        filled = int(self.width * self.done / self.total)
        percent = 100 * self.done // self.total
        elapsed = time.monotonic() - self.started
        self.stream.write(
            f"\r{self.label:<28} [{'#' * filled}{'.' * (self.width - filled)}] {percent:3d}% {elapsed:5.1f}s"
        )
        self.stream.flush()
