"""The embedding network: a classifier's backbone, a linear projection, L2 normalisation."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..models import build_model


class EmbeddingNet(nn.Module):
    """images [N, C, H, W] -> unit-length embeddings [N, dim].

    The backbone is that of ``fairgap.models.build_model(name, ...)`` (small_cnn with a width
    knob, or resnet18), so capacity is varied exactly as for classification.
    """

    def __init__(self, model: str, in_channels: int, width: float = 1.0, dim: int = 64):
        super().__init__()
        classifier = build_model(model, in_channels, width)
        self.backbone = classifier.backbone
        self.projection = nn.Linear(classifier.feature_dim, dim)
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.projection(self.backbone(x)), dim=1)
