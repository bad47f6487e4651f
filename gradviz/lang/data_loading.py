"""`torch.utils.data` as a course uses it for the training loop's `training_loader`: the real
TensorDataset and DataLoader, batches made in this process (no worker processes, no pinned
memory), with batch_size, shuffle (from torch's seeded generator) and drop_last."""

from __future__ import annotations

from typing import Any

import torch
from torch.utils.data import DataLoader, Subset, TensorDataset, random_split

from gradviz.lang.default_device import shuffle_generator
from gradviz.lang.objects import Fn, Namespace
from gradviz.lang.user_code import ProgramObject

LOADER_OPTIONS = ("batch_size", "shuffle", "drop_last")
ITERABLE = (DataLoader, TensorDataset, Subset)  # what a `for` loop may also go through
DATASETS = (TensorDataset, Subset, list, tuple, ProgramObject)  # a program's: its __getitem__


def tensor_dataset(*tensors: Any) -> TensorDataset:
    """TensorDataset(X, y): sample i is (X[i], y[i])."""
    if not tensors:
        raise TypeError("TensorDataset needs at least one tensor")
    if not all(isinstance(t, torch.Tensor) and t.dim() >= 1 for t in tensors):
        raise TypeError("TensorDataset takes tensors of at least one dimension")
    sizes = [t.shape[0] for t in tensors]
    if len(set(sizes)) > 1:
        listed = ", ".join(str(s) for s in sizes)
        raise ValueError(f"TensorDataset: the tensors must have one first size (got {listed})")
    return TensorDataset(*tensors)


def data_loader(
    dataset: Any,
    batch_size: int = 1,
    shuffle: bool = False,
    drop_last: bool = False,
    **options: Any,
) -> DataLoader[Any]:
    """DataLoader(dataset, batch_size=…, shuffle=…, drop_last=…) over a TensorDataset or a
    list of samples; its batches are made when a loop goes through it."""
    if options:
        raise TypeError(
            f"DataLoader: `{sorted(options)[0]}` is not supported here "
            f"(only {', '.join(LOADER_OPTIONS)})"
        )
    if not isinstance(dataset, DATASETS):
        raise TypeError(
            "DataLoader takes a TensorDataset, a part of one (random_split), a list, or a "
            "Dataset class of the program (with __len__ and __getitem__)"
        )
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"DataLoader: batch_size must be a whole number ≥ 1, not {batch_size!r}")
    return DataLoader(
        dataset,  # type: ignore[arg-type]  # a list of samples works as a map-style dataset
        batch_size=batch_size,
        shuffle=bool(shuffle),
        drop_last=bool(drop_last),
        num_workers=0,
        generator=shuffle_generator() if shuffle else None,
    )


def split_randomly(dataset: Any, lengths: Any) -> list[Subset[Any]]:
    """random_split(dataset, [800, 200]) or [0.8, 0.2]: disjoint parts in a random order drawn
    from torch's seeded generator (torch.manual_seed makes it repeatable)."""
    if not isinstance(dataset, DATASETS):
        raise TypeError("random_split takes a TensorDataset (or a list of samples)")
    if not isinstance(lengths, (list, tuple)) or not lengths:
        raise TypeError("random_split takes the parts' lengths as a list: [800, 200] or [0.8, 0.2]")
    if not all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in lengths):
        raise TypeError("random_split: each length is a whole number or a fraction")
    generator = shuffle_generator() or torch.default_generator
    return random_split(dataset, list(lengths), generator)  # type: ignore[arg-type]


def _dataset_base(*args: Any, **kwargs: Any) -> None:
    raise TypeError(
        "Dataset is a base class: write `class Pairs(Dataset):` with `__len__` and "
        "`__getitem__`, then make a Pairs"
    )


DATA_NS = Namespace(
    "torch.utils.data",
    {
        "TensorDataset": Fn("torch.utils.data.TensorDataset", tensor_dataset),
        "DataLoader": Fn("torch.utils.data.DataLoader", data_loader),
        "random_split": Fn("torch.utils.data.random_split", split_randomly),
        "Dataset": Fn("torch.utils.data.Dataset", _dataset_base),  # only named as a base
    },
)
UTILS_NS = Namespace(
    "torch.utils",
    {"data": DATA_NS},
    {
        "cpp_extension": "compiles and loads code",
        "checkpoint": "re-runs code in backward, outside gradviz's view",
        "hooks": "runs code inside autograd",
    },
)
