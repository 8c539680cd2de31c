"""The starter run config around a task section: models, students, and its YAML text."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tokendistill.errors import StarterError

# The students of the paper's comparison: label-only, distilled labels, the teacher's top-k
# saliency words as rationales, and random words as their control.
STUDENTS = [
    {"name": "standard", "mode": "standard"},
    {"name": "distill", "mode": "standard", "labels": "teacher"},
    {
        "name": "ours-saliency",
        "mode": "multitask",
        "rationale": {"source": "attribution", "method": "saliency"},
    },
    {"name": "random-k", "mode": "multitask", "rationale": {"source": "random"}},
]


@dataclass(frozen=True)
class StarterModels:
    """The offline presets' models: packaged, so a first run needs no Hugging Face Hub."""

    teacher: str = "smollm2-135m"
    student: str = "minilm-encdec"


def builtin_task(name: str) -> tuple[dict[str, Any], str]:
    """The task section of a registered task and its evaluation mode (rank over a label set)."""
    from tokendistill.tasks import get_task, list_tasks

    if name not in list_tasks():
        raise StarterError(
            f"--task {name!r} is not a built-in task (tokendistill tasks: {', '.join(list_tasks())})"
        )
    return {"name": name}, "rank" if get_task(name).label_set else "generate"


def starter_config(
    task: dict[str, Any], *, eval_mode: str, k: int, models: StarterModels, run_dir: Path
) -> dict[str, Any]:
    """A whole run config: ``task``, both models, three seeds, the comparison's students."""
    return {
        "run_dir": str(run_dir),
        "seeds": [0, 1, 2],
        "task": task,
        "teacher": {"model": {"name": models.teacher}, "training": {"eval_mode": eval_mode}},
        "attribution": {"methods": ["saliency", "random"]},
        "selection": {"k": k},
        "student_model": {"name": models.student},
        "student_training": {"eval_mode": eval_mode},
        "students": [dict(student) for student in STUDENTS],
    }


def render(config: dict[str, Any], header: list[str]) -> str:
    """The config as YAML under ``header``'s comment lines."""
    comments = "".join(f"# {line}\n" if line else "#\n" for line in header)
    body = yaml.dump(config, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1000)
    return comments + body


class _Dumper(yaml.SafeDumper):
    """Block style, but a mapping or list of scalars on one line (``seeds: [0, 1, 2]``), and
    text with line breaks double-quoted with ``\n`` (as the README writes templates)."""


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (dict, list))


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.Node:
    style = '"' if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


def _represent_list(dumper: yaml.SafeDumper, items: list) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=all(map(_is_scalar, items)))


def _represent_dict(dumper: yaml.SafeDumper, mapping: dict) -> yaml.Node:
    flow = all(map(_is_scalar, mapping.values())) and len(str(mapping)) < 80
    return dumper.represent_mapping("tag:yaml.org,2002:map", mapping, flow_style=flow)


_Dumper.add_representer(str, _represent_text)
_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(dict, _represent_dict)
