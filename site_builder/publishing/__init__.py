"""Writing the built site: downloads, search index, manifest and the swap into place.

``downloads`` writes the tables (CSV, workbook, JSON, zips) through ``tablefiles`` and
``jsonfile`` (the only orjson code); ``public_records`` says what a public record's files may
hold; ``download_pages``, ``datapackage`` and ``edition_downloads`` make the catalogue and
each edition's files; ``search`` builds the lunr index (the only lunr code); ``manifest``
writes build.json and SHA256SUMS and verifies them; ``output`` is the only code that writes
the site's folder (stage, lock, swap); ``archive`` gives files their reproducible times.
"""
