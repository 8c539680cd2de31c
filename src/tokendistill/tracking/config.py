"""Which experiment trackers a run reports to: the names the transformers Trainer knows."""

from __future__ import annotations

import importlib.util

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Names that are not a tracker but a choice: alone in the list.
CHOICES = ("auto", "all", "none")
# Trackers the Trainer's list of installed ones leaves out even when installed (flyte always,
# azure_ml beside mlflow): their callbacks check for themselves.
_UNLISTED = ("flyte", "azure_ml")


def integrations() -> list[str]:
    """Every tracker the installed transformers' Trainer can report to."""
    from transformers.integrations import INTEGRATION_TO_CALLBACK

    return list(INTEGRATION_TO_CALLBACK)


def installed() -> list[str]:
    """The trackers whose package is installed here, as the Trainer's ``report_to: all`` finds them."""
    from transformers.integrations import get_available_reporting_integrations

    return list(get_available_reporting_integrations())


class TrackingConfig(BaseModel):
    """Where a run's figures go. ``report_to`` takes what the Trainer's ``report_to`` takes
    (``tensorboard``, ``wandb``, ``mlflow``, ``trackio``, ...; ``all`` for every installed
    one, ``none``), plus ``auto``: TensorBoard when it is installed. ``run_name`` names the
    tracker run (default: the run directory's name and the start time)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    report_to: list[str] = Field(
        default_factory=lambda: ["auto"],
        description="the trackers, as the Trainer names them; auto: TensorBoard when installed; all; none",
    )
    run_name: str | None = Field(
        None, min_length=1, description="the tracker run's name (default: the run folder's name and the time)"
    )

    @field_validator("report_to", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("report_to")
    @classmethod
    def _known(cls, names: list[str]) -> list[str]:
        known = integrations()
        for name in names:
            if name not in known and name not in CHOICES:
                raise ValueError(
                    f"unknown tracker {name!r}; the Trainer knows {', '.join([*CHOICES, *known])}"
                )
        if len(names) != len(set(names)):
            raise ValueError(f"report_to lists a tracker twice: {names}")
        if len(names) > 1 and set(names) & set(CHOICES):
            raise ValueError(f"{' / '.join(CHOICES)} stand alone in report_to, got {names}")
        return names

    def missing(self) -> list[str]:
        """The trackers ``report_to`` names whose package is not installed here."""
        here = installed()
        return [n for n in self.report_to if n not in (*CHOICES, *_UNLISTED, *here)]

    def trackers(self) -> list[str]:
        """The trackers this run reports to, ``auto``, ``all`` and ``none`` resolved."""
        choice = self.report_to[0] if len(self.report_to) == 1 else None
        if choice == "none":
            return []
        if choice == "all":
            return installed()
        if choice == "auto":
            found = importlib.util.find_spec("tensorboard") or importlib.util.find_spec("tensorboardX")
            return ["tensorboard"] if found else []
        return list(self.report_to)
