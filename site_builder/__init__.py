"""site_builder: publish power and responsibility lists (权责清单) as open data and a static site."""

__version__ = "0.1.0"
