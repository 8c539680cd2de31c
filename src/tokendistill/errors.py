"""The root of every error a user can fix by changing what they gave the tool.

A config key, a data row, a model spec, a run directory: each error type for these derives
from ``InputError`` and states the problem in one line that names the file, line and field
(or key). The command line prints an ``InputError`` as it is; anything else is a bug or a
failure of the environment, and gets a log file with its traceback.
"""

from __future__ import annotations


class InputError(ValueError):
    """A problem with the user's input, stated in one line that says where and what to do."""
