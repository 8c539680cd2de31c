"""Matplotlib figures for the report, returned as base64 PNG so the HTML is self-contained."""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")  # headless: reports are built on servers without a display
import matplotlib.pyplot as plt

from tokendistill.rationales.analysis.result import CHANCE, Sweep
from tokendistill.report.data import AccuracySummary


def _to_base64(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def accuracy_bars(students: list[AccuracySummary], teacher_accuracy: float | None) -> str:
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(students) + 1.4))
    names = [s.name for s in students]
    means = [100 * s.mean for s in students]
    errors = [
        [100 * (s.mean - s.ci95[0]) for s in students],
        [100 * (s.ci95[1] - s.mean) for s in students],
    ]
    ax.barh(names, means, xerr=errors, color="#4C78A8", capsize=3)
    if teacher_accuracy is not None:
        ax.axvline(100 * teacher_accuracy, color="#E45756", linestyle="--", label="teacher")
        ax.legend(loc="lower right")
    ax.invert_yaxis()
    ax.set_xlabel("test accuracy (%) with 95% interval")
    ax.set_xlim(0, 100)
    return _to_base64(fig)


def k_sweep(sweep: Mapping[str, Sweep], ylabel: str, chance: Sweep | None = None) -> str:
    """One line per method (share in % against k), plus a dashed random-k ``chance`` line."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    lines = [(method, points, {"marker": "o"}) for method, points in sorted(sweep.items())]
    if chance:
        lines.append((CHANCE, chance, {"linestyle": "--", "color": "grey"}))
    for label, points, style in lines:
        ks = sorted(k for k, v in points.items() if v is not None)
        ax.plot(ks, [100 * points[k] for k in ks], label=label, **style)
    every_k = sorted({k for _, points, _ in lines for k in points})
    ax.set_xticks(every_k)
    ax.set_xlabel("k (selected words)")
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 105)
    ax.grid(alpha=0.3)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    return _to_base64(fig)


def training_curves(curves: dict[str, dict[str, list[tuple[float, float]]]]) -> str:
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(10, 3.4))
    for name, series in sorted(curves.items()):
        if series.get("label_loss"):
            steps, values = zip(*series["label_loss"], strict=True)
            loss_ax.plot(steps, values, label=name)
        elif series.get("loss"):  # runs that logged only the packed loss of both tasks
            steps, values = zip(*series["loss"], strict=True)
            loss_ax.plot(steps, values, label=f"{name}, both tasks", linestyle=":")
        if series.get("valid_accuracy"):
            steps, values = zip(*series["valid_accuracy"], strict=True)
            acc_ax.plot(steps, [100 * v for v in values], marker=".", label=name)
    loss_ax.set_title("training loss of the label task")
    acc_ax.set_title("validation accuracy (%)")
    for ax in (loss_ax, acc_ax):
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
    acc_ax.legend(fontsize=7)
    return _to_base64(fig)


def accuracy_against(knob: str, values: list[str], series: Mapping[str, list[AccuracySummary | None]]) -> str:
    """Test accuracy (%) of each student against one knob's values, with 95 % intervals."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    xs = list(range(len(values)))
    for i, (name, points) in enumerate(sorted(series.items())):
        shift = (i - (len(series) - 1) / 2) * 0.04  # keep error bars apart
        kept = [(x + shift, p) for x, p in zip(xs, points, strict=True) if p is not None]
        means = [100 * p.mean for _, p in kept]
        errors = [
            [100 * (p.mean - p.ci95[0]) for _, p in kept],
            [100 * (p.ci95[1] - p.mean) for _, p in kept],
        ]
        ax.errorbar([x for x, _ in kept], means, yerr=errors, marker="o", capsize=3, label=name)
    ax.set_xticks(xs, values)
    ax.set_xlabel(knob)
    ax.set_ylabel("test accuracy (%)")
    ax.set_ylim(0, 105)
    ax.grid(alpha=0.3)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    return _to_base64(fig)
