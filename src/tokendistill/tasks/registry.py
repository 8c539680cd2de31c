"""The explicit task registry: one name -> ``Task`` dict, filled by ``register_builtin_tasks``.

``register_task`` refuses a second task under a taken name, so two definitions can never
shadow each other silently. Config-defined tasks are not registered: ``resolve_task``
builds them from the config's ``custom`` section.
"""

from __future__ import annotations

from tokendistill.tasks.base import Task, TaskData
from tokendistill.tasks.config import TaskConfig

_REGISTRY: dict[str, Task] = {}


class UnknownTaskError(ValueError):
    """A task name that is neither registered nor described by a ``custom`` section."""


def register_task(task: Task) -> Task:
    """Add ``task`` under ``task.name``; a name already taken is an error."""
    if not getattr(task, "name", ""):
        raise ValueError(f"{task!r} has no name")
    if task.name in _REGISTRY:
        raise ValueError(f"task {task.name!r} is already registered ({_REGISTRY[task.name]!r})")
    _REGISTRY[task.name] = task
    return task


def get_task(name: str) -> Task:
    """The registered task ``name``; unknown names list the valid ones."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownTaskError(
            f"unknown task {name!r}; registered tasks: {list_tasks()} "
            "(or describe a new dataset in a `custom` section)"
        ) from None


def list_tasks() -> list[str]:
    """Registered task names, sorted."""
    return sorted(_REGISTRY)


def resolve_task(config: TaskConfig) -> Task:
    """The task a config names: a ``CustomTask`` for a ``custom`` section, else the registered one."""
    if config.custom is not None:
        from tokendistill.tasks.custom import CustomTask

        if config.name in _REGISTRY:
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
        if task_type.name not in _REGISTRY:
            register_task(task_type())
