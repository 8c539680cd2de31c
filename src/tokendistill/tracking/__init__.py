"""Experiment trackers: one tracker run per ``tokendistill run``, holding the pipeline's own
figures, with every training (teacher, each student and seed) as a run grouped under it."""

from tokendistill.tracking.config import TrackingConfig
from tokendistill.tracking.run import Figures, TrackerRun, TrainerTracking, open_tracker

__all__ = ["Figures", "TrackerRun", "TrackingConfig", "TrainerTracking", "open_tracker"]
