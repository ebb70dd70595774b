"""Turning the site model into HTML and SVG.

``render`` is the only Jinja2 code (the theme, its overrides, the template API);
``markup`` the only Markdown and nh3 code; ``flowtext``, ``flowgrid``, ``flowlayout`` and
``flowchart`` draw a power's process flowchart (text, grid, placing, SVG), ``charts`` the home
page's bar chart, and ``geometry`` is their shared rectangle.
"""
