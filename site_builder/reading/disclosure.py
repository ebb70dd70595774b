"""Whether a power is public: the one rule, read from its ``disclosure`` field.

Disclosure is the rule, withholding the exception: a power is public unless its
``disclosure`` says ``public: false``. Two readers share this: the records of a build
(``model.Record.public``, schema-valid, so ``public`` is always there), and the old
records the trail reads from git's objects (``changes.py``), which may predate the
field or not parse; what counts there when the field cannot be read is the trail's rule
(``changes.was_public``).
"""

from __future__ import annotations


def is_public(disclosure: object) -> bool:
    """Whether a power whose ``disclosure`` field holds this value is public."""
    return not (isinstance(disclosure, dict) and disclosure.get("public") is False)
