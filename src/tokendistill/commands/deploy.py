"""``export``, ``predict`` and ``explain``: thin wrappers over ``tokendistill.api`` with
argument parsing, a progress bar and one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from tokendistill.commands.terminal import SetOpt, console, quiet_libraries

if TYPE_CHECKING:
    from tokendistill.inference.inputs import InputFields
    from tokendistill.tasks import TaskConfig


ModelArg = Annotated[
    str, typer.Argument(help="a kept model folder, any saved model folder, or a Hub/packaged name")
]
InputOpt = Annotated[Path | None, typer.Option("--input", help="a JSONL, CSV or Parquet file of inputs")]
SplitOpt = Annotated[
    Literal["train", "valid", "test"] | None, typer.Option(help="use this split of the task instead")
]
TaskOpt = Annotated[str | None, typer.Option(help="a registered task that formats the rows")]
ConfigOpt = Annotated[Path | None, typer.Option(help="a run config whose task formats the rows")]
TextOpt = Annotated[str | None, typer.Option(help="plain-text inputs: the field holding the text")]
LabelOpt = Annotated[str | None, typer.Option(help="plain-text inputs: the field holding the label")]
IdOpt = Annotated[str, typer.Option(help="the field holding each row's id")]
BatchOpt = Annotated[int | None, typer.Option(min=1, help="examples per batch (default: the model's)")]


def _task(task: str | None, config: Path | None, overrides: list[str] | None) -> str | TaskConfig | None:
    from tokendistill.config import load_config
    from tokendistill.errors import DeployError

    if task is not None and config is not None:
        raise DeployError("give --task or --config, not both")
    if config is None:
        if overrides:
            raise DeployError("--set overrides keys of a config: give it with --config")
        return task
    return load_config(config, overrides or []).task


def _fields(text: str | None, label: str | None, id_field: str, target: str | None = None) -> InputFields:
    from tokendistill.inference.inputs import InputFields

    return InputFields(text=text, label=label, id=id_field, target=target)


def export_command(
    run_dir: Annotated[Path, typer.Argument(help="a run directory", show_default=False)],
    student: Annotated[str, typer.Option(help="the student's name (as in the config)")],
    to: Annotated[Path, typer.Option(help="the new folder to copy the model into")],
    seed: Annotated[int | None, typer.Option(help="this seed's model")] = None,
    best: Annotated[bool, typer.Option("--best", help="the best seed on validation (the default)")] = False,
    push_to_hub: Annotated[str | None, typer.Option(help="also upload to this Hub repo (owner/name)")] = None,
    private: Annotated[bool, typer.Option(help="create the Hub repository as private")] = False,
) -> None:
    """Copy a kept student (best seed on validation by default) with its model card."""
    from tokendistill.api import export
    from tokendistill.errors import DeployError

    quiet_libraries()
    if best and seed is not None:
        raise DeployError("give --seed or --best, not both")
    path = export(run_dir, student, to=to, seed=seed, push_to_hub=push_to_hub, private=private or None)
    console.print(f"exported {student} to {path}" + (f" and {push_to_hub}" if push_to_hub else ""))


def predict_command(
    model: ModelArg,
    input_: InputOpt = None,
    split: SplitOpt = None,
    task: TaskOpt = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
    out: Annotated[Path, typer.Option(help="predictions as JSON Lines")] = Path("predictions.jsonl"),
    text_field: TextOpt = None,
    label_field: LabelOpt = None,
    id_field: IdOpt = "id",
    batch_size: BatchOpt = None,
) -> None:
    """Batched answers of a model on a file (or a task split); accuracy where labels exist."""
    from rich.progress import Progress

    from tokendistill.api import predict

    quiet_libraries()
    with Progress(console=console, transient=True) as progress:
        bar = progress.add_task("predicting", total=None)
        result = predict(
            model,
            input_,
            split=split,
            task=_task(task, config, set_),
            fields=_fields(text_field, label_field, id_field),
            out=out,
            batch_size=batch_size,
            on_progress=lambda done, total: progress.update(bar, completed=done, total=total),
        )
    n = len(result.predictions)
    accuracy = "" if result.accuracy is None else f"; accuracy {100 * result.accuracy:.2f} %"
    console.print(f"{n} prediction(s) written to {out}{accuracy}")


def explain_command(
    model: ModelArg,
    input_: InputOpt = None,
    split: SplitOpt = None,
    method: Annotated[str, typer.Option(help="an attribution method (tokendistill methods)")] = "saliency",
    out: Annotated[Path, typer.Option(help="folder for attributions.parquet and explain.html")] = Path(
        "explanations"
    ),
    target_field: Annotated[str | None, typer.Option(help="force this field's text as the target")] = None,
    task: TaskOpt = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
    text_field: TextOpt = None,
    label_field: LabelOpt = None,
    id_field: IdOpt = "id",
    k: Annotated[int, typer.Option(min=1, help="words underlined per input on the page")] = 5,
    batch_size: BatchOpt = None,
) -> None:
    """Token attributions of a model's answers on your inputs: Parquet artifact + HTML page."""
    from tokendistill.api import explain
    from tokendistill.attribution.config import AttributionSettings

    settings = AttributionSettings(**({"batch_size": batch_size} if batch_size else {}))
    quiet_libraries()
    result = explain(
        model,
        input_,
        out_dir=out,
        split=split,
        method=method,
        settings=settings,
        task=_task(task, config, set_),
        fields=_fields(text_field, label_field, id_field, target_field),
        k=k,
    )
    console.print(f"{len(result.records)} input(s) explained: {result.artifact}, {result.page}")
