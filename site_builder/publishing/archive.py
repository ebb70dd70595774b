"""Reproducible zip archives: the same entries always give the same bytes."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from datetime import UTC, datetime

ZIP_EPOCH = datetime(1980, 1, 1, tzinfo=UTC)  # the earliest time a zip entry can carry


def stamp(seconds: int | None) -> datetime:
    """The time a file inside an archive carries: ``seconds`` since the epoch, never before 1980 (None: 1980)."""
    if seconds is None:
        return ZIP_EPOCH
    return max(datetime.fromtimestamp(seconds, tz=UTC), ZIP_EPOCH)


def zip_bytes(entries: Mapping[str, bytes], when: datetime) -> bytes:
    """A reproducible zip: sorted entries, one fixed timestamp, fixed permissions, no extra fields.

    Each entry is read from ``entries`` only when it is compressed.
    """
    stamp = when.astimezone(UTC).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so that the permissions below are read
            info.external_attr = (0o100644 & 0xFFFF) << 16
            archive.writestr(info, entries[name], compresslevel=6)
    return out.getvalue()
