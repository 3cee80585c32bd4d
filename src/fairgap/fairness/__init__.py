"""Fairness training methods behind one interface: ``make_objective(name, params)``.

Importing this package registers every method; ``available_objectives()`` lists them:

    erm                          plain binary cross-entropy
    *_penalty                    soft-rate gap penalties (gap_penalty.py)
    loss_gap_penalty             squared gaps of group losses, FairALM's L2 baseline
    mindiff                      MMD between groups' score distributions (Prost et al. 2019)
    fairalm                      augmented Lagrangian on group losses (Lokhande et al. 2020)
    adversarial                  adversary with projected gradients (Zhang et al. 2018)
    gradient_reversal            adversary with reversed gradients
    group_dro                    online group DRO (Sagawa et al. 2020)

Flooding (Ishida et al. 2020) composes with all of them through ``Objective.flood_level``.
"""

from . import adversarial, erm, fairalm, gap_penalty, gradient_reversal, group_dro, loss_gap_penalty, mindiff  # noqa: F401
from .base import (REGISTRY, Objective, available_objectives, make_objective, parameter_names,  # noqa: F401
                   takes_groups, validate_params)
