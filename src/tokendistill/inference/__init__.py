"""Using a model: ``predict`` (batched answers, scored where inputs carry labels) and
``explain`` (token attributions of its answers, with an HTML page), on a file's rows,
in-memory inputs or a task split, for a kept model folder (its manifest's settings,
through ``tokendistill.kept``) or any other model.

Nothing upstream imports it: the stages and ``tokendistill.kept`` do not. Kept lightweight
on purpose: importing this package loads nothing heavy; each module imports what it needs.
"""
