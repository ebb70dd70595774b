"""site_builder: publish power and responsibility lists (权责清单) as open data and a static site.

The build's stages, in order (``build.build`` is the table of contents):

1. ``reading``: read and check the list repository (site.yaml, schemas, records).
2. ``history``: the update trail and editions from git, read beside the checks.
3. ``structure``: the site model, which pages exist, their paths and the open-data tables.
4. ``rendering``: HTML pages and SVG flowcharts from the theme's templates.
5. ``publishing``: downloads, search index and manifest, written into place at once.

``engine`` runs the stages (caches, worker processes, timing); ``tools`` holds the
commands beside the build (import, export, new, fmt, codeowners, diff, serve); ``cli``
is the command line; ``errors`` and ``report`` are the problems and how they are shown.
"""

__version__ = "0.1.0"
