"""One training run: a RunConfig in, a per-epoch history table out (cached by config hash).

The history is tidy: one row per (epoch, split, group, metric). Epoch 0 is the untrained
model. Splits "train" and "test" are evaluated on the full split after every evaluated epoch;
"val" (where present) at the last epoch, and every epoch only when early stopping reads it. The
optimisation's own per-batch quantities (task loss, penalty) are averaged over the epoch under
split "optimization". With ``population`` > 0 (generated data only), the final model is also
evaluated on the generator's population sample (split "population", at the final epoch; scored until
every group's TPR, FPR and accuracy is within ±0.01, ``record_population``). A run evaluated only at
its last epoch (``eval_every`` = ``epochs``, the sweeps) has no epoch-0 rows.

A table trains here too, with model "linear" or "mlp" (``fairgap.models``), its features where the images
would be (``fairgap.data.table``): ``dataset="table"`` with ``data={"table": name or file, "train_size": ...,
"test_size": ..., "target": ..., "sensitive": ...}`` (``fairgap.tabular.load_table``), split with the run's seed
(or ``data_seed``) and cached like any run (a file's SHA-256 enters the key); or ``train(config,
table_dataset(split))`` on a split of your own, which is how ``fairgap.classical_fits`` trains its networks.
A batch that holds the whole training split (full-batch training) takes it in its own order: shuffling one
batch would change nothing but the order of its sums.

A generated dataset is drawn with the run's seed (``data_seed`` None), so seeds vary the data
(train, val and test sets) as well as the initialisation and batch order; an integer ``data_seed``
fixes the data for every seed.

Scheduling does not change the numbers: a run on the CPU always uses ``config.threads`` intra-op
threads (1 by default), whether it is trained in this process, in a worker process or on a Dask
worker. Float reductions are ordered by the thread count, so this is what makes a sweep's numbers
independent of how many runs share the machine. Throughput comes from running one run per core.
"""

from __future__ import annotations

import contextlib
import dataclasses
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from .data import FairDataset, Split, load_dataset
from .fairness import make_objective, validate_params
from .io import atomic_path, load_or_compute, read_run_entry, stable_hash, write_run_entry
from .metrics import DISPARITIES, evaluate
from .models import build_model, count_parameters, folded_for_inference
from .paths import results_dir
from .remedies import EarlyStopping, augment_batch, heldout_fairness_step, retrain_last_layer

HISTORY_COLUMNS = ("epoch", "split", "group", "metric", "value")
POPULATION = "population"  # split of the final model's evaluation on a large fresh sample of the generator
SELECTION = "selection"  # split of the row that marks the epoch a remedy selected (early stopping, last layer)
OPTIMIZERS = ("adam", "sgd", "adam_l2")   # "adam": AdamW (decoupled decay); "adam_l2": Adam, decay as an L2 term
LR_SCHEDULES = ("cosine", "constant")
FAIRNESS_DATA = ("train", "val")
TRAIN_ON = ("train", "train+val")
PRECISIONS = ("fp32", "bf16")
# Bump when a change to the training code changes results, so old cache entries are not reused.
CACHE_VERSION = 2


@dataclass
class RunConfig:
    """Everything that determines a run's numbers. Two equal configs give identical histories on CPU."""

    dataset: str = "synthetic_faces"
    data: dict = field(default_factory=dict)      # options of load_dataset, e.g. {"n_train": 2000}
    data_seed: int | None = None                   # generated data: None draws it with ``seed``; an int fixes it
    population: int = 0                            # generated data: evaluate the final model on this many fresh examples
    train_on: str = "train"                        # "train+val": the validation split joins the training set
    model: str = "small_cnn"
    width: float = 1.0
    method: str = "erm"
    method_params: dict = field(default_factory=dict)
    epochs: int = 30
    batch_size: int = 128
    lr: float = 1e-3
    optimizer: str = "adam"
    lr_schedule: str = "cosine"                    # "cosine" (to 0 at the last epoch) or "constant"
    weight_decay: float = 0.0
    warmup_epochs: int = 0                         # plain ERM for the first epochs, then the method
    flood_level: float | None = None               # flooding (Ishida et al. 2020), composes with any method
    n_train: int | None = None                     # subsample the training split (stratified)
    threshold: float = 0.5
    eval_every: int = 1                            # evaluate every k epochs (the last epoch always)
    # Remedies (fairgap.remedies): each off by default.
    augment: bool = False                          # random shifts and flips of every batch
    early_stopping: bool = False                   # keep the epoch with the lowest val disparity
    early_stopping_metric: str = "equalized_odds_difference"
    early_stopping_tolerance: float = 0.02         # ... among epochs within this of the best val accuracy
    fairness_data: str = "train"                   # "val": the fairness term on held-out batches
    last_layer: dict | None = None                 # {"method": ..., params, "epochs", "lr"}: retrain the head on val
    seed: int = 0
    device: str = "cpu"                            # "cpu", "cuda", "cuda:1", or "auto" (a GPU when present)
    threads: int = 1                               # CPU intra-op threads of this run (the numbers depend on it)
    precision: str = "fp32"                        # "bf16": bfloat16 autocast (GPU path of the paper profile)

    def validate(self) -> "RunConfig":
        """Fail before any training, naming the bad value and the valid ones."""
        from .data import DATASETS
        from .data.table import TABLE
        from .models import check_model

        if self.dataset not in DATASETS and self.dataset != TABLE:
            raise ValueError(f"Unknown dataset {self.dataset!r}. Valid datasets: {', '.join(DATASETS)}, or "
                             f"{TABLE!r} (a table's split given to train: fairgap.data.table).")
        check_model(self.model)
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"Unknown optimizer {self.optimizer!r}. Valid optimizers: {', '.join(OPTIMIZERS)}.")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"Unknown lr_schedule {self.lr_schedule!r}. Valid: {', '.join(LR_SCHEDULES)}.")
        validate_params(self.method, self.method_params)
        if self.precision not in PRECISIONS:
            raise ValueError(f"Unknown precision {self.precision!r}. Valid: {', '.join(PRECISIONS)}.")
        if self.train_on not in TRAIN_ON:
            raise ValueError(f"Unknown train_on {self.train_on!r}. Valid: {', '.join(TRAIN_ON)}.")
        if self.train_on == "train+val" and (self.fairness_data == "val" or self.last_layer is not None
                                             or self.early_stopping):
            raise ValueError("train_on='train+val' leaves no held-out validation data for fairness_data='val', "
                             "last_layer or early_stopping; use one or the other.")
        if self.population:
            from .data import POPULATION_DATASETS
            if not (isinstance(self.population, int) and self.population > 0):
                raise ValueError(f"population must be 0 (none) or a positive number of examples, got {self.population!r}.")
            if self.dataset not in POPULATION_DATASETS:
                raise ValueError(f"population={self.population} needs a generated dataset "
                                 f"({', '.join(POPULATION_DATASETS)}); {self.dataset!r} has a fixed test split. "
                                 "Use population=0.")
        if self.data_seed is not None and not isinstance(self.data_seed, int):
            raise ValueError(f"data_seed must be None (draw the data with the run's seed) or an integer, "
                             f"got {self.data_seed!r}.")
        if self.fairness_data not in FAIRNESS_DATA:
            raise ValueError(f"Unknown fairness_data {self.fairness_data!r}. Valid: {', '.join(FAIRNESS_DATA)}.")
        if self.early_stopping_metric not in DISPARITIES:
            raise ValueError(f"Unknown early_stopping_metric {self.early_stopping_metric!r}. "
                             f"Valid: {', '.join(DISPARITIES)}.")
        if self.last_layer is not None:
            head = {k: v for k, v in self.last_layer.items() if k not in ("epochs", "lr", "batch_size")}
            validate_params(head.pop("method", "erm"), head)
        positive = {"width": self.width, "epochs": self.epochs, "batch_size": self.batch_size, "lr": self.lr,
                    "eval_every": self.eval_every, "threads": self.threads}
        if self.n_train is not None:
            positive["n_train"] = self.n_train
        for name, value in positive.items():
            if not value > 0:
                raise ValueError(f"{name} must be positive, got {value}.")
        non_negative = {"weight_decay": self.weight_decay, "warmup_epochs": self.warmup_epochs}
        if self.flood_level is not None:
            non_negative["flood_level"] = self.flood_level
        for name, value in non_negative.items():
            if value < 0:
                raise ValueError(f"{name} must be 0 or more, got {value}.")
        if not 0 < self.threshold < 1:
            raise ValueError(f"threshold must be in (0, 1), got {self.threshold}.")
        return self

    def key(self) -> str:
        """Stable hash of the config (and the cache version): the run's name in the cache.

        The device enters resolved ("auto" becomes "cpu" or "cuda"), so a CPU run and a GPU run of
        the same config never share a cache entry.
        """
        from .data.table import TABLE, table_fingerprint

        config = {**dataclasses.asdict(self), "device": str(resolve_device(self.device))}
        table = table_fingerprint(self.data) if self.dataset == TABLE else {}
        return stable_hash({"config": config, "cache_version": CACHE_VERSION, **table})

    def replace(self, **changes) -> "RunConfig":
        return dataclasses.replace(self, **changes)


@dataclass
class RunResult:
    config: RunConfig
    history: pd.DataFrame
    scores: dict[str, dict[str, np.ndarray]]   # split -> {"score", "target", "group"} at the last epoch
    info: dict

    def final(self) -> pd.DataFrame:
        """The rows of the run's result: the selected epoch (early stopping, last layer) or the last."""
        return self.history[self.history.epoch == final_epoch_of(self.history)]

    def metric(self, metric: str, split: str, group: str = "all") -> pd.Series:
        """One metric over epochs, indexed by epoch."""
        h = self.history
        rows = h[(h.metric == metric) & (h.split == split) & (h.group == group)]
        return rows.set_index("epoch")["value"]


def final_epoch_of(history: pd.DataFrame) -> int:
    """The epoch a remedy selected, if one did, else the last evaluated epoch."""
    selected = history[history.split == SELECTION]
    return int(selected.value.iloc[0]) if len(selected) else int(history.epoch.max())


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def resolve_device(name: str) -> torch.device:
    """"auto" is the GPU when PyTorch sees one, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={name!r} but PyTorch sees no CUDA GPU; use device='cpu' or 'auto'.")
    return device


def autocast(device: torch.device, precision: str):
    """bfloat16 autocast for the forward passes when asked for, else a no-op context."""
    if precision == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def place(split: Split, device: torch.device) -> Split:
    """On a GPU, keep the whole split in device memory (uint8 is compact: 160k CelebA images at 64 px
    are 2 GB), so no batch crosses the bus; fall back to pinned host memory when it does not fit."""
    if device.type != "cuda":
        return split
    try:
        return dataclasses.replace(split, **{name: getattr(split, name).to(device) for name in
                                             ("images", "target", "group", "identity", "weight")
                                             if getattr(split, name) is not None})
    except torch.cuda.OutOfMemoryError:
        return dataclasses.replace(split, images=split.images.pin_memory(), target=split.target.pin_memory(),
                                   group=split.group.pin_memory())


class FeatureInput:
    """A table's features (already encoded and scaled on the training rows) as they are, on the device."""

    def __init__(self, device: torch.device):
        self.device = device

    def __call__(self, features: torch.Tensor) -> torch.Tensor:
        return features.to(self.device, non_blocking=True)


def input_transform(train_split: Split, device: torch.device):
    """What turns a batch of the split into the model's input: images standardised, a table's features as is."""
    from .data.table import is_table

    return FeatureInput(device) if is_table(train_split) else Normalizer(train_split.images, device)


class Normalizer:
    """uint8 images to float, standardised per channel with the training split's statistics."""

    def __init__(self, train_images: torch.Tensor, device: torch.device):
        sample = train_images[: min(len(train_images), 4096)].float() / 255
        self.mean = sample.mean(dim=(0, 2, 3)).view(1, -1, 1, 1).to(device)
        self.std = sample.std(dim=(0, 2, 3)).clamp_min(1e-3).view(1, -1, 1, 1).to(device)
        self.device = device

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        x = images.to(self.device, non_blocking=True).float().div_(255)
        # channels_last: 1.5-2x faster convolutions on CPU (oneDNN) and on tensor cores.
        return ((x - self.mean) / self.std).contiguous(memory_format=torch.channels_last)


@torch.inference_mode()
def predict_scores(model, images: torch.Tensor, normalize: Normalizer, batch_size: int = 128,
                   precision: str = "fp32") -> torch.Tensor:
    """Sigmoid scores of every image, a float32 tensor on the model's device, computed by a copy of the model
    with its BatchNorms folded into the convolutions (``models.folded_for_inference``). Batches of 128: on one
    CPU core the folded small CNN scored 10,000 faces in 1.12-1.36 s at 128 against 1.38-1.51 s at 256 (width
    0.5; 2.3-2.6 against 3.0-3.2 s at width 1), and on every split size the profiles use each score is bit for
    bit the one batches of 256 gave, so the choice moves no result (2026-12-03, load 0.4-1.0). Not every batch
    size is safe: oneDNN picks its kernels by the batch, and some odd sizes round differently in the last bit
    (tests/test_train.py holds the sizes in use)."""
    model.eval()
    model = folded_for_inference(model)
    with autocast(normalize.device, precision):
        scores = [torch.sigmoid(model(normalize(images[i:i + batch_size])).float())
                  for i in range(0, len(images), batch_size)]
    return torch.cat(scores) if scores else torch.zeros(0, device=normalize.device)


def check_groups(dataset: FairDataset, split: str) -> None:
    """Every group must appear with both classes, or group metrics and penalties are meaningless."""
    part = dataset[split]
    for g, label in enumerate(dataset.group_labels):
        targets = part.target[part.group == g]
        if len(targets) == 0:
            raise ValueError(f"Group {label!r} ({dataset.group_name}) is empty in the {split} split of "
                             f"{dataset.name}; choose options that give every group examples.")
        if targets.min() == targets.max():
            raise ValueError(f"Group {label!r} ({dataset.group_name}) has only target={int(targets[0])} in the "
                             f"{split} split of {dataset.name}; both classes are needed per group.")


def data_seed_of(config) -> int | None:
    """The seed a run's data were drawn with (a table's: the seed of its random split); None for real data with fixed
    splits."""
    from .data import is_generated
    from .data.table import TABLE

    if config.dataset == TABLE:
        return int(config.seed if config.data_seed is None else config.data_seed)
    if not is_generated(config.dataset):
        return None
    return int(config.data.get("seed", config.seed if config.data_seed is None else config.data_seed))


def data_options_of(config) -> dict:
    """The dataset options a run loads (a RunConfig or a VerificationConfig): its options, with a generated
    dataset's ``seed`` set to ``data_seed_of``."""
    seed = data_seed_of(config)
    return dict(config.data) if seed is None else {**config.data, "seed": seed}


def prepare_dataset(config: RunConfig) -> FairDataset:
    """The run's splits: generated data drawn with its data seed, subsampled to ``n_train``, and with
    the validation split joined to the training set when ``train_on`` asks for it."""
    dataset = load_run_data(config)
    if config.n_train is not None:
        from .data.base import stratified_indices

        train = dataset["train"]
        if config.n_train > len(train):
            raise ValueError(f"n_train={config.n_train} exceeds the {len(train)} training examples available.")
        rng = np.random.default_rng(config.seed)
        index = stratified_indices(train.target.numpy(), train.group.numpy(), config.n_train, rng)
        dataset = dataclasses.replace(dataset, splits={**dataset.splits, "train": train.subset(index)})
    if config.train_on == "train+val":
        splits = {name: split for name, split in dataset.splits.items() if name not in ("train", "val")}
        dataset = dataclasses.replace(dataset, splits={"train": joined(dataset["train"], dataset["val"]), **splits})
    for split in dataset.splits:
        check_groups(dataset, split)
    return dataset


def load_run_data(config: RunConfig) -> FairDataset:
    """The dataset a run names: a generated or real image dataset, or a table split with the run's data seed."""
    from .data.table import TABLE, load_table_dataset

    if config.dataset != TABLE:
        return load_dataset(config.dataset, **data_options_of(config))
    if "table" not in config.data:
        raise ValueError(f"dataset={TABLE!r} needs data={{'table': a bundled table's name or a file, ...}} "
                         f"(fairgap.data.table.load_table_dataset), or give train the table's split "
                         f"(fairgap.data.table.table_dataset).")
    return load_table_dataset(seed=config.seed if config.data_seed is None else config.data_seed, **config.data)


def joined(first: Split, second: Split) -> Split:
    """One split holding the examples of both."""
    identity = None if first.identity is None else torch.cat([first.identity, second.identity])
    return type(first)(torch.cat([first.images, second.images]), torch.cat([first.target, second.target]),
                       torch.cat([first.group, second.group]), identity)


@contextlib.contextmanager
def torch_threads(count: int):
    """Run the block with ``count`` torch intra-op threads, then restore the caller's setting."""
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def train(config: RunConfig, dataset: FairDataset | None = None, progress: bool = False) -> RunResult:
    """Train one model from scratch and record the history. No caching here (see ``run``)."""
    config.validate()
    with torch_threads(config.threads):
        return _train(config, dataset, progress)


def train_model(config: RunConfig, dataset: FairDataset | None = None,
                progress: bool = False) -> tuple[RunResult, torch.nn.Module]:
    """``train``, and the trained model (in eval mode) for a caller that predicts with it."""
    kept = []
    config.validate()
    with torch_threads(config.threads):
        result = _train(config, dataset, progress, keep=kept.append)
    return result, kept[0]


def _train(config: RunConfig, dataset: FairDataset | None, progress: bool, keep=None) -> RunResult:
    dataset = dataset if dataset is not None else prepare_dataset(config)
    device = resolve_device(config.device)
    seed_everything(config.seed)
    dataset = dataclasses.replace(dataset, splits={name: place(split, device) for name, split in dataset.splits.items()})
    train_split = dataset["train"]
    model = build_model(config.model, dataset.image_shape[0], config.width)
    model = model.to(device, memory_format=torch.channels_last)
    objective = make_objective(config.method, config.method_params, n_groups=len(dataset.group_labels))
    if config.fairness_data == "val" and not getattr(objective, "penalty_based", False):
        raise ValueError(f"fairness_data='val' needs a method of the form task loss + weight * penalty; "
                         f"{config.method!r} is not one.")
    objective.setup(model, device)
    warmup = make_objective("erm")
    objective.flood_level = warmup.flood_level = config.flood_level
    optimizer = build_optimizer(config, model.parameters())
    schedule = (torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs)
                if config.lr_schedule == "cosine" else None)
    normalize = input_transform(train_split, device)
    generator = torch.Generator().manual_seed(config.seed)
    targets, groups = train_split.target, train_split.group

    heldout = dataset["val"] if config.fairness_data == "val" or config.last_layer is not None else None
    stopper = EarlyStopping(config.early_stopping_metric, config.early_stopping_tolerance) \
        if config.early_stopping else None

    rows: list[dict] = []
    evaluated = evaluated_epochs(config)   # the one schedule: evaluated_more_often relies on it
    last_scores = record_evaluation(rows, 0, model, dataset, normalize, config) if 0 in evaluated else {}
    epochs = range(1, config.epochs + 1)
    if progress:
        from tqdm.auto import tqdm
        epochs = tqdm(epochs, desc=f"{config.method} w={config.width}", leave=False)
    for epoch in epochs:
        model.train()
        active = warmup if epoch <= config.warmup_epochs else objective
        active.start_epoch(epoch)
        sums: dict[str, float] = {}
        if config.batch_size >= len(train_split):   # full batch: the split itself, in its order (see above)
            batches = [slice(None)]
        else:
            batches = torch.randperm(len(train_split), generator=generator).split(config.batch_size)
        for index in batches:
            if torch.is_tensor(index):
                index = index.to(device, non_blocking=True)
            x = normalize(train_split.images[index])
            if config.augment:
                x = augment_batch(x, generator)
            y, g = targets[index], groups[index]
            with autocast(device, config.precision):
                if config.fairness_data == "val" and active is objective:
                    held = torch.randint(len(heldout), (len(y),), generator=generator).to(device)
                    parts = heldout_fairness_step(objective, model, optimizer, x, y, g,
                                                  normalize(heldout.images[held]), heldout.target[held],
                                                  heldout.group[held])
                else:
                    parts = active.train_step(model, optimizer, x, y, g)
            for name, value in parts.items():
                # Parts may be tensors: summing them on the device avoids a host sync per step.
                sums[name] = sums.get(name, 0.0) + (value.detach() if torch.is_tensor(value) else value)
        if schedule is not None:
            schedule.step()
        rows += [{"epoch": epoch, "split": "optimization", "group": "all", "metric": name,
                  "value": float(total) / len(batches)} for name, total in sums.items()]
        if epoch in evaluated:
            last_scores = record_evaluation(rows, epoch, model, dataset, normalize, config,
                                            every_split=epoch == config.epochs)
            if stopper is not None:
                stopper.observe(epoch, rows, model)

    selected = None
    if stopper is not None:  # no eligible epoch (all collapsed): the last epoch stands
        selected = stopper.restore(model) or config.epochs
        last_scores = {}  # the restored weights are not the last evaluated ones
    if config.last_layer is not None:
        retrain_last_layer(model, heldout, normalize, config.last_layer, len(dataset.group_labels), config.seed)
        selected = config.epochs + 1
        last_scores = record_evaluation(rows, selected, model, dataset, normalize, config, every_split=True)
    if selected is not None:
        rows.append({"epoch": selected, "split": SELECTION, "group": "all", "metric": "selected_epoch",
                     "value": float(selected)})

    scores = {}
    if config.population:
        scores[POPULATION] = record_population(rows, selected or config.epochs, model, dataset, normalize,
                                               config, device)
    for split_name, split in dataset.splits.items():
        score = last_scores.get(split_name)
        if score is None:
            score = predict_scores(model, split.images, normalize, precision=config.precision)
        scores[split_name] = {"score": score.cpu().numpy(),
                              "target": split.target.cpu().numpy(), "group": split.group.cpu().numpy()}
    info = {"parameters": count_parameters(model), "objective": objective.describe(),
            "group_labels": list(dataset.group_labels), "target_name": dataset.target_name,
            "group_name": dataset.group_name, "n_train": len(train_split), "device": str(device)}
    if keep is not None:
        keep(model.eval())
    return RunResult(config, pd.DataFrame(rows, columns=HISTORY_COLUMNS), scores, info)


def build_optimizer(config: RunConfig, parameters):
    if config.optimizer == "sgd":
        return torch.optim.SGD(parameters, lr=config.lr, momentum=0.9, weight_decay=config.weight_decay)
    if config.optimizer == "adam_l2":
        return torch.optim.Adam(parameters, lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.AdamW(parameters, lr=config.lr, weight_decay=config.weight_decay)


def evaluated_splits(dataset: FairDataset, config: RunConfig, every_split: bool) -> list[str]:
    """Train and test every evaluated epoch; val only when early stopping reads it, or ``every_split``
    (the last epoch): nothing else reads per-epoch validation metrics, and they cost forward passes."""
    if every_split or config.early_stopping:
        return list(dataset.splits)
    return [name for name in dataset.splits if name != "val"]


def record_evaluation(rows, epoch, model, dataset, normalize, config: RunConfig,
                      every_split: bool = True) -> dict[str, torch.Tensor]:
    """Evaluate the model on the splits of this epoch into ``rows``; returns the scores per split."""
    scores = {}
    for split_name in evaluated_splits(dataset, config, every_split):
        split = dataset[split_name]
        scores[split_name] = score = predict_scores(model, split.images, normalize, precision=config.precision)
        for row in evaluate(split.target, score, split.group, config.threshold, dataset.group_labels):
            rows.append({"epoch": epoch, "split": split_name, **row})
    return scores


# The population is scored a cell at a time (fairgap.data.population interleaves its (group, label) cells):
# first this many examples of every cell, then STEP more of each cell whose rate is still imprecise (a
# group's positives for its TPR, negatives for its FPR, both for its accuracy), until every group's TPR,
# FPR and accuracy is within ±TARGET_HALFWIDTH at 95% at the rates the model reaches, or those cells are
# used up. A rate near 0.5 needs all 9,604 of its cell; one near 0 or 1 about a third of that.
POPULATION_FIRST_PER_CELL, POPULATION_STEP_PER_CELL = 4096, 1024


def record_population(rows, epoch, model, dataset, normalize, config: RunConfig, device) -> dict:
    """Evaluate the final model on the generator's population sample into ``rows`` (split "population"),
    with each group's 95% half-widths ("tpr_halfwidth", "fpr_halfwidth", "accuracy_halfwidth"). The scores
    come back in the population's order with their positions ("index") and the weights they were read with."""
    from .data import load_population
    from .data.population import TARGET_HALFWIDTH

    population = place(load_population(config.dataset, config.population, **config.data), device)
    cells = 2 * len(dataset.group_labels)
    cell = (2 * population.group + population.target).cpu()
    members = [torch.nonzero(cell == c).flatten() for c in range(cells)]   # in the population's (interleaved) order
    share = torch.stack([population.weight[m[0]] for m in members]).cpu().to(torch.float64) / cells
    taken = [0] * cells
    wanted = [min(POPULATION_FIRST_PER_CELL, len(m)) for m in members]
    scores: list[torch.Tensor] = [torch.zeros(0, device=device)] * cells
    while wanted != taken:
        for c in range(cells):
            if wanted[c] > taken[c]:
                new = population.images[members[c][taken[c]:wanted[c]].to(population.images.device)]
                scores[c] = torch.cat([scores[c], predict_scores(model, new, normalize, precision=config.precision)])
                taken[c] = wanted[c]
        index, weight = _scored_part(members, taken, share)
        target, group, score = population.target.cpu()[index], population.group.cpu()[index], torch.cat(scores).cpu()
        found = evaluate(target, score, group, config.threshold, dataset.group_labels, weight)
        widths = _group_halfwidths(found, taken, dataset.group_labels)
        for c in _imprecise_cells(widths, dataset.group_labels, TARGET_HALFWIDTH):
            wanted[c] = min(len(members[c]), taken[c] + POPULATION_STEP_PER_CELL)
    for row in found + widths:
        rows.append({"epoch": epoch, "split": POPULATION, **row})
    order = torch.argsort(index)
    return {"score": score[order].numpy(), "target": target[order].numpy(), "group": group[order].numpy(),
            "weight": weight[order].to(torch.float32).numpy(),   # stored in float32, like the scores
            "index": index[order].numpy()}


def _scored_part(members: list[torch.Tensor], taken: list[int], share: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The population positions scored so far (the first ``taken[c]`` of each cell c) and their weights:
    a cell's share in the generator over its share of the scored examples."""
    index = torch.cat([m[:n] for m, n in zip(members, taken)])
    weight = torch.cat([torch.full((n,), float(share[c] * sum(taken) / n), dtype=torch.float64)
                        for c, n in enumerate(taken)])
    return index, weight


def _group_halfwidths(found: list[dict], taken: list[int], group_labels) -> list[dict]:
    """Rows of each group's 95% half-widths of TPR, FPR and accuracy, from its scored positives and negatives."""
    from .evidence import group_rate_halfwidths

    value = {(r["group"], r["metric"]): r["value"] for r in found}
    widths = []
    for code, label in enumerate(group_labels):
        width = group_rate_halfwidths(taken[2 * code + 1], taken[2 * code], value[(label, "base_rate")],
                                      value[(label, "tpr")], value[(label, "fpr")])
        widths += [{"group": label, "metric": f"{name}_halfwidth", "value": w} for name, w in width.items()]
    return widths


def _imprecise_cells(widths: list[dict], group_labels, target: float) -> list[int]:
    """The (group, label) cells (2·group + label) whose examples would narrow a rate wider than ``target``."""
    wide = {(w["group"], w["metric"]) for w in widths if not w["value"] <= target}
    cells = []
    for code, label in enumerate(group_labels):
        if (label, "tpr_halfwidth") in wide or (label, "accuracy_halfwidth") in wide:
            cells.append(2 * code + 1)
        if (label, "fpr_halfwidth") in wide or (label, "accuracy_halfwidth") in wide:
            cells.append(2 * code)
    return cells


# --- cache: results/runs/<key>/{config.json, history.csv, scores.npz, info.json; timing.json beside it} ---

def run_folder(config: RunConfig):
    return results_dir() / "runs" / config.key()


def load_cached(config: RunConfig) -> RunResult | None:
    """The cached result of ``config``, or None if absent, partial or corrupt (then it is recomputed).
    Without an entry of its own, the same run evaluated more often serves it (``evaluated_more_often``)."""
    entry = _read_entry(config)
    if entry is not None:
        info, tables, scores = entry
        return RunResult(config, tables["history"], scores, info)
    for richer in evaluated_more_often(config):
        entry = _read_entry(richer)
        if entry is not None:
            info, tables, scores = entry
            return RunResult(config, history_at_evaluations(tables["history"], richer, config), scores,
                             {**info, "key": config.key(), "served_by": richer.key()})
    return None


def _read_entry(config: RunConfig):
    return read_run_entry(run_folder(config), config.key(), {"history": HISTORY_COLUMNS}, "scores.npz")


def evaluated_epochs(config: RunConfig) -> set[int]:
    """The epochs at which a run evaluates its splits: every ``eval_every``-th, the last, and epoch 0 (the
    untrained model, part of a trajectory) unless the run is evaluated only at its end."""
    epochs = {e for e in range(1, config.epochs + 1) if e % config.eval_every == 0 or e == config.epochs}
    return epochs | {0} if config.eval_every < config.epochs else epochs


def evaluated_more_often(config: RunConfig) -> list[RunConfig]:
    """The configs of the same run evaluated at a superset of ``config``'s epochs, least often first.

    Evaluating a model does not change its training (eval mode, no random draws, the training generator
    untouched), so such a run's history, cut to ``config``'s epochs, and its final scores are exactly
    ``config``'s: a sweep (evaluated at its last epoch) is served by notebook 01's run of the same method and
    seed (every second epoch) instead of training it again. Early stopping reads every evaluation: never."""
    if config.early_stopping:
        return []
    wanted = evaluated_epochs(config)
    candidates = (config.replace(eval_every=k) for k in range(config.eval_every - 1, 0, -1))
    return [c for c in candidates if wanted <= evaluated_epochs(c)]


def history_at_evaluations(history: pd.DataFrame, richer: RunConfig, config: RunConfig) -> pd.DataFrame:
    """``richer``'s history as ``config``'s run records it: evaluations at epochs ``config`` does not evaluate
    dropped (the optimisation's per-epoch rows, the population and the selection rows kept)."""
    extra = evaluated_epochs(richer) - evaluated_epochs(config)
    return history[(history.split == "optimization") | ~history.epoch.isin(extra)].reset_index(drop=True)


def save_result(result: RunResult) -> None:
    write_run_entry(run_folder(result.config), dataclasses.asdict(result.config), result.config.key(), result.info,
                    {"history": result.history}, "scores.npz", result.scores)


ENTRY_MARKER = "info.json"  # written last by io.write_run_entry: its presence marks a complete entry


def export_entry(folder) -> dict[str, bytes]:
    """The files of a complete cache entry (a run's folder) as {relative path: bytes}: what a Dask worker
    sends back to the client (data files only, nothing pickled). Temporary files are left out."""
    folder = Path(folder)
    files = {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*"))
             if path.is_file() and not path.name.startswith(".")}
    if ENTRY_MARKER not in files:
        raise FileNotFoundError(f"{folder} is not a complete cache entry (no {ENTRY_MARKER}).")
    return files


def import_entry(folder, files: dict[str, bytes]) -> None:
    """Write an exported entry into ``folder``, each file atomically, the entry marker last, so that a
    reader (or an interrupted import) never sees a partial entry as complete."""
    folder = Path(folder).resolve()
    for name in sorted(files, key=lambda n: n == ENTRY_MARKER):
        target = (folder / name).resolve()
        if folder not in target.parents:
            raise ValueError(f"Cache entry file {name!r} would be written outside {folder}.")
        with atomic_path(target) as tmp:
            tmp.write_bytes(files[name])


def run(config: RunConfig, cache: bool = True, progress: bool = False) -> RunResult:
    """Train ``config`` unless an intact cached result exists; cache what was trained."""
    config.validate()
    if not cache:
        return train(config, progress=progress)
    return load_or_compute(run_folder(config), lambda: load_cached(config), lambda: train(config, progress=progress),
                           save_result)
