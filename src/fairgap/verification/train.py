"""One verification run: a VerificationConfig in, a per-epoch history table out (cached by config hash).

The embedding network is trained to classify the training identities with a margin loss
(ArcFace or CosFace), optionally with a fairness-promoting variant (``none``, ``loss_gap``,
``adversarial``, ``group_margin``: ``fairgap.verification.objectives``).

History (tidy: epoch, split, group, metric, value). Epoch 0 is the untrained network. After
every epoch, the images of each evaluation split are embedded and scored on fixed genuine and
impostor pairs (see ``fairgap.verification.metrics``):

* ``train``: the training images themselves (training identities);
* ``val``: held-out images of the training identities;
* ``test``: images of unseen identities.

``identification_accuracy`` (closed set: the nearest class weight is the right identity) is
recorded for train and val. With ``population`` > 0 (generated identities only), the final model is also
scored once on that many fresh people of the generator (split ``population``, at the last epoch; every
genuine pair, no cap, and per group the bootstrap half-width ``tar_group@<far>_halfwidth``). Under split ``optimization``, the epoch's mean identity loss per
group, the loss gap, and the adversary's loss and accuracy. After the last epoch the ROC curves
(per split and group) and the embeddings are kept as well.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from ..data import FairDataset, load_dataset
from ..io import load_or_compute, read_run_entry, stable_hash, write_run_entry
from ..models import MODELS, count_parameters
from ..paths import results_dir
from ..train import HISTORY_COLUMNS, POPULATION, Normalizer, data_options_of, resolve_device, seed_everything, torch_threads
from .losses import LOSSES, MarginHead, group_loss_gap
from .metrics import FARS, pair_scores, roc_curves, roc_table, sample_pairs, tar_halfwidth, verification_metrics
from .model import EmbeddingNet
from .objectives import METHODS, make_objective

EVAL_SPLITS = ("train", "val", "test")
OPTIMIZERS = ("adam", "sgd")
# Bump when a change to this code changes results, so old cache entries are not reused.
CACHE_VERSION = 2


@dataclass
class VerificationConfig:
    """Everything that determines a verification run's numbers (same config, same numbers on CPU)."""

    dataset: str = "synthetic_identities"
    data: dict = field(default_factory=dict)     # options of load_dataset
    data_seed: int | None = None                 # generated data: None draws it with ``seed``; an int fixes it
    model: str = "small_cnn"
    width: float = 1.0
    embedding_dim: int = 64
    loss: str = "arcface"                        # "arcface" or "cosface"
    scale: float = 30.0                          # s: logits are s * cos
    margin: float = 0.5                          # m: angular (ArcFace, radians) or cosine (CosFace) margin
    method: str = "none"                         # see METHODS
    weight: float = 0.0                          # strength of the fairness-promoting variant
    margin_group: int = 1                        # group_margin: the group that gets the larger margin
    adversary_hidden: int = 64
    warmup_epochs: int = 0                       # plain margin loss first (the adversary still learns)
    epochs: int = 15
    batch_size: int = 128
    lr: float = 2e-3
    optimizer: str = "adam"
    weight_decay: float = 5e-4
    eval_splits: tuple = EVAL_SPLITS
    eval_max_images: int = 4000                  # per split; beyond, a seeded subset of whole identities
    eval_every: int = 1                          # evaluate every k epochs (and always after the last)
    max_genuine: int = 20000                     # pairs per group and split
    max_impostor: int = 100000
    fars: tuple = FARS
    seed: int = 0
    device: str = "cpu"
    threads: int = 1                             # CPU intra-op threads (the numbers depend on it; see fairgap.train)
    population: int = 0                          # generated identities: score the final model on this many fresh people
    population_impostors: int = 2_000_000        # impostor pairs per group on the population, drawn independently

    def validate(self) -> "VerificationConfig":
        from ..data import DATASETS

        choices = {"dataset": (self.dataset, DATASETS), "model": (self.model, MODELS), "loss": (self.loss, LOSSES),
                   "method": (self.method, METHODS), "optimizer": (self.optimizer, OPTIMIZERS)}
        for name, (value, valid) in choices.items():
            if value not in valid:
                raise ValueError(f"Unknown {name} {value!r}. Valid: {', '.join(valid)}.")
        unknown = [s for s in self.eval_splits if s not in EVAL_SPLITS]
        if unknown or not self.eval_splits:
            raise ValueError(f"eval_splits={self.eval_splits} must be a non-empty subset of {EVAL_SPLITS}.")
        positive = {"width": self.width, "embedding_dim": self.embedding_dim, "scale": self.scale,
                    "epochs": self.epochs, "batch_size": self.batch_size, "lr": self.lr,
                    "eval_max_images": self.eval_max_images, "max_genuine": self.max_genuine,
                    "max_impostor": self.max_impostor, "adversary_hidden": self.adversary_hidden,
                    "eval_every": self.eval_every, "threads": self.threads}
        for name, value in positive.items():
            if not value > 0:
                raise ValueError(f"{name} must be positive, got {value}.")
        for name in ("margin", "weight", "weight_decay", "warmup_epochs"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be 0 or more, got {getattr(self, name)}.")
        if self.method == "none" and self.weight != 0:
            raise ValueError(f"method 'none' takes no weight (got weight={self.weight}); choose one of "
                             f"{', '.join(METHODS[1:])} for a fairness-promoting variant.")
        if self.population:
            from ..data import IDENTITY_POPULATION_DATASETS
            if isinstance(self.population, bool) or not isinstance(self.population, int) or self.population < 2:
                raise ValueError(f"population must be 0 (none) or a number of people of at least 2 (for impostor "
                                 f"pairs), got {self.population!r}; e.g. population=2000.")
            if self.dataset not in IDENTITY_POPULATION_DATASETS:
                raise ValueError(f"population={self.population} needs generated identities "
                                 f"({', '.join(IDENTITY_POPULATION_DATASETS)}); {self.dataset!r} has fixed people "
                                 "only. Use population=0.")
            if isinstance(self.population_impostors, bool) or not isinstance(self.population_impostors, int) \
                    or self.population_impostors < 1:
                raise ValueError(f"population_impostors must be a positive number of impostor pairs per group, got "
                                 f"{self.population_impostors!r}; e.g. population_impostors=2000000.")
        if not all(0 < f < 1 for f in self.fars):
            raise ValueError(f"fars={self.fars} must be false accept rates in (0, 1).")
        return self

    def key(self) -> str:
        """Stable hash of the config and the cache version: the run's folder in the cache."""
        config = {**dataclasses.asdict(self), "device": str(resolve_device(self.device))}
        if not self.population:  # runs without a population keep the keys they were cached under
            del config["population"], config["population_impostors"]
        return stable_hash({"config": config, "cache_version": CACHE_VERSION})

    def replace(self, **changes) -> "VerificationConfig":
        return dataclasses.replace(self, **changes)


@dataclass
class VerificationResult:
    config: VerificationConfig
    history: pd.DataFrame                  # epoch, split, group, metric, value
    roc: pd.DataFrame                      # split, group, far, tar (last epoch)
    embeddings: dict[str, dict[str, np.ndarray]]   # split -> {"embedding", "group", "identity"} (last epoch)
    info: dict

    def final(self) -> pd.DataFrame:
        return self.history[self.history.epoch == self.history.epoch.max()]

    def metric(self, metric: str, split: str, group: str = "all") -> pd.Series:
        h = self.history
        return h[(h.metric == metric) & (h.split == split) & (h.group == group)].set_index("epoch")["value"]


def prepare_dataset(config: VerificationConfig) -> FairDataset:
    """The run's splits: generated identities drawn with its data seed (as in ``fairgap.train``)."""
    dataset = load_dataset(config.dataset, **data_options_of(config))
    for split in ("train",) + tuple(config.eval_splits):
        if split not in dataset.splits:
            raise ValueError(f"Dataset {dataset.name!r} has no {split!r} split (it has {sorted(dataset.splits)}); "
                             f"drop it from eval_splits.")
        if dataset[split].identity is None:
            raise ValueError(f"Dataset {dataset.name!r} has no identities in its {split!r} split; face verification "
                             "needs an identity dataset such as 'synthetic_identities' or 'celeba_identities'.")
    return dataset


@torch.no_grad()
def embed(model, images: torch.Tensor, normalize: Normalizer, batch_size: int = 256) -> torch.Tensor:
    """Every image's embedding. Batches of 256: 10,000 photos in 1.19-1.24 s on one CPU core against 1.56-1.63 s
    at 512, the same embeddings bit for bit (2026-12-03, load 0.4-1.0)."""
    model.eval()
    parts = [model(normalize(images[i:i + batch_size])).float() for i in range(0, len(images), batch_size)]
    return torch.cat(parts) if parts else torch.zeros(0, model.dim)


class _EvalSet:
    """A split's (subsampled) images with its fixed pairs, and closed-set labels where the identities were trained."""

    def __init__(self, name: str, split, class_of: dict, config: VerificationConfig, index: int,
                 max_images: int | None = None, max_genuine: int | None = None, max_impostor: int | None = None,
                 impostors_with_replacement: bool = False):
        rng = np.random.default_rng([config.seed, 7919, index])
        max_images = config.eval_max_images if max_images is None else max_images
        keep = np.arange(len(split))
        if len(keep) > max_images:
            # Whole people, drawn at random until the budget is spent, so that genuine pairs remain.
            people, counts = np.unique(split.identity.numpy(), return_counts=True)
            order = rng.permutation(len(people))
            chosen = people[order[np.cumsum(counts[order]) <= max_images]]
            keep = np.flatnonzero(np.isin(split.identity.numpy(), chosen))
        self.name, self.images = name, split.images[torch.from_numpy(keep)]
        self.group = split.group.numpy()[keep]
        self.identity = split.identity.numpy()[keep]
        max_genuine = config.max_genuine if max_genuine is None else max_genuine
        max_impostor = config.max_impostor if max_impostor is None else max_impostor
        self.pairs = sample_pairs(self.identity, self.group, max_genuine, max_impostor,
                                  seed=int(rng.integers(2 ** 31)), impostors_with_replacement=impostors_with_replacement)
        labels = np.array([class_of.get(int(i), -1) for i in self.identity])
        self.labels = torch.from_numpy(labels) if (labels >= 0).all() else None


def train_verification(config: VerificationConfig, dataset: FairDataset | None = None,
                       progress: bool = False) -> VerificationResult:
    """Train one embedding network from scratch and record its history. No caching here (see ``run_verification``)."""
    config.validate()
    with torch_threads(config.threads):
        return _train_verification(config, dataset, progress)


def _train_verification(config: VerificationConfig, dataset: FairDataset | None, progress: bool) -> VerificationResult:
    dataset = dataset if dataset is not None else prepare_dataset(config)
    device = resolve_device(config.device)
    seed_everything(config.seed)
    train_split = dataset["train"]
    n_groups = len(dataset.group_labels)
    identities, labels = np.unique(train_split.identity.numpy(), return_inverse=True)
    class_of = {int(i): k for k, i in enumerate(identities)}
    labels = torch.from_numpy(labels.astype(np.int64)).to(device)
    groups = train_split.group.to(device)

    model = EmbeddingNet(config.model, dataset.image_shape[0], config.width, config.embedding_dim)
    model = model.to(device, memory_format=torch.channels_last)
    head = MarginHead(config.embedding_dim, len(identities), config.loss, config.scale, config.margin).to(device)
    objective = make_objective(config, n_groups, device)
    parameters = list(model.parameters()) + list(head.parameters()) + objective.parameters()
    if config.optimizer == "sgd":
        optimizer = torch.optim.SGD(parameters, lr=config.lr, momentum=0.9, weight_decay=config.weight_decay)
    else:
        optimizer = torch.optim.AdamW(parameters, lr=config.lr, weight_decay=config.weight_decay)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs)
    normalize = Normalizer(train_split.images, device)
    generator = torch.Generator().manual_seed(config.seed)
    eval_sets = [_EvalSet(name, dataset[name], class_of, config, k) for k, name in enumerate(config.eval_splits)]

    rows: list[dict] = []
    _record(rows, 0, model, head, eval_sets, normalize, dataset.group_labels, config, device)
    epochs = range(1, config.epochs + 1)
    if progress:
        from tqdm.auto import tqdm
        epochs = tqdm(epochs, desc=f"{config.method} w={config.weight:g}", leave=False)
    for epoch in epochs:
        model.train()
        head.train()
        active = epoch > config.warmup_epochs
        sums: dict[tuple[str, str], list[float]] = {}

        def add(group: str, metric: str, value: float, count: int = 1):
            total = sums.setdefault((group, metric), [0.0, 0])
            total[0] += value * count
            total[1] += count

        for index in torch.randperm(len(train_split), generator=generator).split(config.batch_size):
            index_d = index.to(device)
            y, g = labels[index_d], groups[index_d]
            embedding = model(normalize(train_split.images[index]))
            losses = head(embedding, y, objective.margin(g, active))
            identity_loss = losses.mean()
            gap, means = group_loss_gap(losses, g, n_groups)
            loss = objective.loss(identity_loss, gap, embedding, g, active, add)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            add("all", "identity_loss", float(identity_loss.detach()), len(index))
            add("all", "identity_loss_gap", float(gap.detach()), len(index))
            for k in range(n_groups):
                count = int((g == k).sum())
                if count:
                    add(str(dataset.group_labels[k]), "identity_loss", float(means[k].detach()), count)
        schedule.step()
        rows += [{"epoch": epoch, "split": "optimization", "group": group, "metric": metric, "value": total / count}
                 for (group, metric), (total, count) in sums.items()]
        if epoch % config.eval_every == 0 or epoch == config.epochs:
            final = _record(rows, epoch, model, head, eval_sets, normalize, dataset.group_labels, config, device)

    roc_frames, embeddings = [], {}
    for eval_set in eval_sets:
        vectors = final[eval_set.name].cpu().numpy()   # the last epoch's, embedded by _record
        roc_frames.append(roc_table(pair_scores(vectors, eval_set.pairs), eval_set.pairs, dataset.group_labels)
                          .assign(split=eval_set.name))
        embeddings[eval_set.name] = {"embedding": vectors.astype(np.float32), "group": eval_set.group,
                                     "identity": eval_set.identity}
    if config.population:
        population = population_set(config, len(eval_sets))
        roc_frames.append(record_population(rows, config.epochs, model, population, normalize, dataset.group_labels,
                                            config).assign(split=POPULATION))
        eval_sets.append(population)  # for the pair counts in info; its embeddings are not kept (10,000s of photos)
    info = {"parameters": count_parameters(model), "group_labels": list(dataset.group_labels),
            "group_name": dataset.group_name, "n_train_images": len(train_split),
            "n_train_identities": int(len(identities)), "device": str(device),
            "pairs": {s.name: {"genuine": int(s.pairs.genuine.sum()), "impostor": int((~s.pairs.genuine).sum())}
                      for s in eval_sets}}
    roc = pd.concat(roc_frames, ignore_index=True)[["split", "group", "far", "tar"]]
    return VerificationResult(config, pd.DataFrame(rows, columns=HISTORY_COLUMNS), roc, embeddings, info)


def population_set(config: VerificationConfig, index: int) -> "_EvalSet":
    """The generator's population of ``config.population`` fresh people, every photo and every genuine pair
    (a person's pairs are few and all are needed for a precise TAR), and ``config.population_impostors`` impostor
    pairs per group drawn independently: the TAR at a FAR of 0.001 rests on the top 0.1% of them, so 50,000 pairs
    would set the threshold from 50 scores (the worst run's TAR moved by ±0.043; see
    ``fairgap.studies.f5_verification``)."""
    from ..data import load_population

    people = load_population(config.dataset, config.population, **config.data)
    return _EvalSet(POPULATION, people, {}, config, index, max_images=len(people), max_genuine=np.iinfo(np.int64).max,
                    max_impostor=config.population_impostors, impostors_with_replacement=True)


@torch.no_grad()
def record_population(rows, epoch, model, population: "_EvalSet", normalize, group_labels,
                      config: VerificationConfig) -> pd.DataFrame:
    """Score the final model on the population into ``rows`` (the test split's metrics, and per group how
    precisely the population measures its TAR); returns the population's ROC table."""
    # float32: millions of pairs, and the quantities read from them are rates to ±0.01.
    scores = pair_scores(embed(model, population.images, normalize).cpu().numpy(), population.pairs, dtype=np.float32)
    curves = roc_curves(scores, population.pairs)
    for row in verification_metrics(scores, population.pairs, group_labels, config.fars, curves=curves):
        rows.append({"epoch": epoch, "split": POPULATION, **row})
    for far in config.fars:
        for group, halfwidth in tar_halfwidth(scores, population.pairs, population.identity, far,
                                              seed=config.seed).items():
            rows.append({"epoch": epoch, "split": POPULATION, "group": str(group_labels[group]),
                         "metric": f"tar_group@{far:g}_halfwidth", "value": halfwidth})
    return roc_table(scores, population.pairs, group_labels, curves=curves)


@torch.no_grad()
def _record(rows, epoch, model, head, eval_sets, normalize, group_labels, config, device) -> dict[str, torch.Tensor]:
    """The eval sets' metrics at ``epoch`` into ``rows``; returns each set's embeddings."""
    embedded = {}
    for eval_set in eval_sets:
        embedded[eval_set.name] = vectors = embed(model, eval_set.images, normalize)
        scores = pair_scores(vectors.cpu().numpy(), eval_set.pairs)
        for row in verification_metrics(scores, eval_set.pairs, group_labels, config.fars):
            rows.append({"epoch": epoch, "split": eval_set.name, **row})
        if eval_set.labels is not None:
            correct = (head.cosine(vectors.to(device)).argmax(1).cpu() == eval_set.labels).numpy()
            for k, label in enumerate(group_labels):
                mask = eval_set.group == k
                if mask.any():
                    rows.append({"epoch": epoch, "split": eval_set.name, "group": str(label),
                                 "metric": "identification_accuracy", "value": float(correct[mask].mean())})
            rows.append({"epoch": epoch, "split": eval_set.name, "group": "all",
                         "metric": "identification_accuracy", "value": float(correct.mean())})
    return embedded


# --- cache: results/verification/<key>/{config.json, history.csv, roc.csv, embeddings.npz, info.json} ---

def run_folder(config: VerificationConfig):
    return results_dir() / "verification" / config.key()


def load_cached(config: VerificationConfig) -> VerificationResult | None:
    """The cached result of ``config``, or None if absent, partial or corrupt (then it is recomputed)."""
    entry = read_run_entry(run_folder(config), config.key(),
                           {"history": HISTORY_COLUMNS, "roc": ("split", "group", "far", "tar")}, "embeddings.npz")
    if entry is None:
        return None
    info, tables, embeddings = entry
    return VerificationResult(config, tables["history"], tables["roc"], embeddings, info)


def save_result(result: VerificationResult) -> None:
    write_run_entry(run_folder(result.config), dataclasses.asdict(result.config), result.config.key(), result.info,
                    {"history": result.history, "roc": result.roc}, "embeddings.npz", result.embeddings)


def run_verification(config: VerificationConfig, cache: bool = True, progress: bool = False) -> VerificationResult:
    """Train ``config`` unless an intact cached result exists; cache what was trained."""
    config.validate()
    if not cache:
        return train_verification(config, progress=progress)
    return load_or_compute(run_folder(config), lambda: load_cached(config),
                           lambda: train_verification(config, progress=progress), save_result)


def run_verification_in_worker(config: dict, results: str, data: str) -> str:
    """Process-pool entry point: train one config into the shared cache; returns its key."""
    import os

    os.environ["FAIRGAP_RESULTS"], os.environ["FAIRGAP_DATA"] = results, data
    return run_verification(VerificationConfig(**config)).config.key()
