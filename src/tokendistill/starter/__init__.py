"""Starter configs (``tokendistill init``): a run config for a built-in task or for the user's
own data file, with everything that can be read off the data proposed rather than asked."""

from tokendistill.starter.build import StarterModels, builtin_task, render, starter_config
from tokendistill.starter.profile import DataProfile, profile_file
from tokendistill.starter.propose import TaskProposal, propose_task

__all__ = [
    "DataProfile",
    "StarterModels",
    "TaskProposal",
    "builtin_task",
    "profile_file",
    "propose_task",
    "render",
    "starter_config",
]
