"""Face verification: margin-loss embedding networks, fairness-promoting variants, pair metrics, probes.

* ``losses``: ArcFace / CosFace heads, the group loss gap, gradient reversal and the group adversary.
* ``model``: the embedding network (a backbone of fairgap.models + projection + L2 normalisation).
* ``metrics``: genuine/impostor pairs, TAR at FAR (global and per-group thresholds), EER, ROC.
* ``train``: one run, VerificationConfig in, tidy per-epoch history out, cached by config hash.
* ``probe``: what the embeddings still reveal about the sensitive attribute.

Notebook 05's profiles, the calls it makes, its claims and prose: ``fairgap.studies.f5_verification``.
"""

from .metrics import equal_error_rate, roc, sample_pairs, tar_at_far, verification_metrics  # noqa: F401
from .train import (METHODS, VerificationConfig, VerificationResult, run_verification,  # noqa: F401
                    train_verification)
