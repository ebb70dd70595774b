"""Reading and checking a list repository: what the build starts from.

``layout`` names every place in the repository; ``config`` types site.yaml; ``sources``
reads YAML (the only PyYAML code); ``schemas`` checks files against the JSON Schemas and
reads their field titles; ``model`` gathers the records into a ``Dataset``; ``disclosure``
decides whether a power is public; ``checks`` and ``textrules`` check across records;
``validation`` runs all of it as the build's first stage. ``tree`` refuses links and special
files, ``slugs`` and ``pinyin`` make ids and sort keys.
"""
