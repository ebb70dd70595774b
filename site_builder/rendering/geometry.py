"""Axis-aligned rectangles, shared by the flowcharts and the statistics charts."""

from __future__ import annotations


class Extent:
    """A rectangle's derived edges and overlap test; subclasses provide x, y, width and height."""

    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    def overlaps(self, other: Extent) -> bool:
        """True if the two rectangles share interior area (touching edges do not count)."""
        return (
            self.x < other.right
            and other.x < self.right
            and self.y < other.bottom
            and other.y < self.bottom
        )
