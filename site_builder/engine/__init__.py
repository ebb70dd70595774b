"""How a build runs: whether anything changed, the caches, the worker processes, timing.

``builds`` decides whether the inputs changed since the last build, ``cache`` is the only
code that reads or writes ``.cache/``, ``parallel`` the only code that starts processes (and
the garbage-collector policy that goes with forking), ``schedule`` shares the rendering,
search and downloads among the workers, longest first, and ``timings`` measures the stages.
Nothing here knows what a page or a power is.
"""
