"""Tasks: loaders, formatters and metrics behind one registry.

Typical use::

    from tokendistill.tasks import TaskConfig, load_task

    task, data = load_task(TaskConfig(name="cqa", llm_rationales=True))
    task.score(prediction, data.test[0])
"""

from tokendistill.errors import DataError
from tokendistill.tasks.base import Task, TaskData
from tokendistill.tasks.config import SyntheticConfig, TaskConfig, default_data_dir
from tokendistill.tasks.custom_config import CustomTaskConfig
from tokendistill.tasks.example import Example, TemplateBuilder
from tokendistill.tasks.registry import (
    UnknownTaskError,
    get_task,
    list_tasks,
    load_task,
    register_builtin_tasks,
    register_task,
    resolve_task,
)

register_builtin_tasks()

__all__ = [
    "CustomTaskConfig",
    "DataError",
    "Example",
    "SyntheticConfig",
    "Task",
    "TaskConfig",
    "TaskData",
    "TemplateBuilder",
    "UnknownTaskError",
    "default_data_dir",
    "get_task",
    "list_tasks",
    "load_task",
    "register_task",
    "resolve_task",
]
