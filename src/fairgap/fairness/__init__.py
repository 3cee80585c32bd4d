"""Differentiable fairness training objectives behind one interface: ``make_objective(name, params)``.

Importing this package registers every method; ``available_objectives()`` lists them.
"""

from . import erm, gap_penalty  # noqa: F401  (registration)
from .base import (REGISTRY, Objective, available_objectives, make_objective, parameter_names,  # noqa: F401
                   validate_params)
