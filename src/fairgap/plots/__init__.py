"""One function per figure; each returns (figure, the tidy table it draws) for ``fairgap.figures.save_figure``.

One module per notebook; this package re-exports the figure functions.
"""

from .overfitting import accuracy_per_group, fairness_overfits  # noqa: F401  (F1)
from .sweeps import constraint_strength, versus  # noqa: F401,E402  (F2, F3, F4)
from .remedies import remedies  # noqa: F401,E402  (F7)
from .medical import medical_diagnosis, xray_examples  # noqa: F401,E402  (F6)
from .verification import identity_examples, verification_gap_over_epochs, verification_gap_vs_weight, verification_per_group, verification_roc  # noqa: F401,E402,E501  (F5)
