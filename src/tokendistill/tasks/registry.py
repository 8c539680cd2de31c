"""The explicit task registry: one ``Registry`` of ``Task``s, filled by ``register_builtin_tasks``.

``register_task`` refuses a second task under a taken name, so two definitions can never
shadow each other silently; ``list_tasks`` lists them in registration order. Config-defined
tasks are not registered: ``resolve_task`` builds them from the config's ``custom`` section.
"""

from __future__ import annotations

from tokendistill.registry import Registry
from tokendistill.tasks.base import Task, TaskData
from tokendistill.tasks.config import TaskConfig


class UnknownTaskError(ValueError):
    """A task name that is neither registered nor described by a ``custom`` section."""


_TASKS: Registry[Task] = Registry(
    "task", error=UnknownTaskError, hint="(or describe a new dataset in a `custom` section)"
)
register_task = _TASKS.register
unregister_task = _TASKS.unregister
get_task = _TASKS.get
list_tasks = _TASKS.names


def resolve_task(config: TaskConfig) -> Task:
    """The task a config names: a ``CustomTask`` for a ``custom`` section, else the registered one."""
    if config.custom is not None:
        from tokendistill.tasks.custom import CustomTask

        if config.name in _TASKS:
            raise ValueError(f"custom task name {config.name!r} is taken by a registered task; pick another")
        return CustomTask(config.name, config.custom)
    return get_task(config.name)


def load_task(config: TaskConfig) -> tuple[Task, TaskData]:
    """``resolve_task`` then ``load``: the one call a pipeline stage needs."""
    task = resolve_task(config)
    return task, task.load(config)


def register_builtin_tasks() -> None:
    """Register anli1, cqa, esnli, svamp and synthetic (once; called by the package)."""
    from tokendistill.tasks.cqa import CQATask
    from tokendistill.tasks.nli import ANLI1Task, ESNLITask
    from tokendistill.tasks.svamp import SVAMPTask
    from tokendistill.tasks.synthetic import SyntheticTask

    for task_type in (ANLI1Task, CQATask, ESNLITask, SVAMPTask, SyntheticTask):
        if task_type.name not in _TASKS:
            register_task(task_type())
