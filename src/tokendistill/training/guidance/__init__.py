"""What guided students share: the rationale's marks on the student's own prompt tokens
(``tokens.py``) and the student's differentiable input gradients (``gradients.py``). The
guided modes themselves (``training/modes/guided*.py``) each add one loss term on top."""
