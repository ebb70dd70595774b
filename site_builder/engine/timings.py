"""How long each stage of a build took, and the memory it had used by then.

``build()`` times its stages with a ``Timings``; the benchmark prints them, and
``build --timings`` shows them to anyone who wants to know where the time goes.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


def peak_mb() -> float | None:
    """The peak resident memory of this process and of the largest finished worker, in MB."""
    if sys.platform == "win32":
        return None
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round((own + children) / 1024, 1)  # Linux reports KB


@dataclass(frozen=True)
class Stage:
    name: str
    seconds: float
    peak_mb: float | None
    # Measured inside a worker while other stages ran beside it.
    parallel: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "stage": self.name,
            "seconds": round(self.seconds, 3),
            "peak_mb": self.peak_mb,
            "parallel": self.parallel,
        }


@dataclass
class Timings:
    stages: list[Stage] = field(default_factory=list)
    notes: dict[str, object] = field(default_factory=dict)

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.stages.append(Stage(name, time.perf_counter() - start, peak_mb()))

    def add(self, name: str, seconds: float) -> None:
        """A stage measured in a worker process."""
        self.stages.append(Stage(name, seconds, peak_mb(), parallel=True))
