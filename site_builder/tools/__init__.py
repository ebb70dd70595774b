"""Commands beside the build, for departments and reviewers.

``importer`` (with ``basis_text``, ``spreadsheet`` and ``discretion_import``) reads the sheets
departments keep; ``export`` and ``powersheet`` write a department's list as a workbook that
imports back; ``scaffold`` is ``new power``; ``fmt`` writes files canonically; ``codeowners``
writes CODEOWNERS; ``diff`` and ``diff_report`` show reviewers what a pull request changes;
``serve`` rebuilds on change for a local preview. The build never imports these.
"""
