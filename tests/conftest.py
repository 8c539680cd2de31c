"""Suite-wide settings: offline, quiet, one torch thread.

Tiny models spend their time in per-op overhead, where a second thread only adds
contention (measured ~10x slower on a shared 2-core machine), and one thread keeps float
reductions in a fixed order.
"""

from __future__ import annotations

import os

import torch

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
torch.set_num_threads(1)
