"""``kd`` and ``kd-multitask``: soft-label (logit) distillation, alone or with the DSS tasks.

``kd`` is ``standard`` whose label task also learns the teacher's distribution; ``kd-multitask``
is ``multitask`` (Distilling Step-by-Step) with the same soft label task. Their rows and
prompts are their parents'; the trait ``needs_teacher_distributions`` makes the pipeline
store the teacher's distributions once and hand them to training, where the student's
``soft_labels`` settings (``soft_labels.py``) weigh and temper the soft term.
"""

from __future__ import annotations

from tokendistill.training.modes.multitask import Multitask
from tokendistill.training.modes.standard import Standard


class SoftLabels(Standard):
    name = "kd"
    needs_teacher_distributions = True


class SoftLabelsMultitask(Multitask):
    name = "kd-multitask"
    needs_teacher_distributions = True
