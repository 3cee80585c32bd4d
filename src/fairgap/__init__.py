"""fairgap: showing, with real training runs, that deep networks overfit to fairness objectives.

Reproduces and extends Cherepanova et al., "Technical Challenges for Training Fair
Neural Networks" (arXiv 2102.06764). Notebooks import this package; the logic lives here.
"""

__version__ = "0.1.0"
