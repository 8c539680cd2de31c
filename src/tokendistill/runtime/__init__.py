"""The run machinery: what every stage and batch loop uses to run safely and resumably.

* ``files``: atomic writes (files, folders, JSON, JSON Lines) and stable content hashes;
* ``context``: the run context, its keyed artifacts (with explicit upstream artifacts) and
  the build that skips finished, intact work;
* ``integrity``: the DONE.json record of an artifact's files, checked on reuse;
* ``lock``: one run per run directory;
* ``parts``: resumable work written as atomic part files, merged at the end;
* ``batching``: batches that back off on out-of-memory.
"""
