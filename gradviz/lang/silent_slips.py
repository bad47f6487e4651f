"""Training-loop slips that raise nothing, each said once per run: a running total of losses kept
as a tensor (`total += loss`), and a model evaluated in training mode (dropout still on)."""

from __future__ import annotations

import ast
from collections.abc import Callable

from torch import nn

from gradviz.lang.accumulated_graphs import accumulated_remark, logged_totals

_TRAIN_DEPENDENT = (nn.modules.dropout._DropoutNd, nn.modules.batchnorm._BatchNorm)


class SilentSlips:
    """One run's look for them: the syntax read at most once, each slip said at most once."""

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self._totals: set[int] | None = None
        self.said: set[str] = set()
        self._plain: set[int] = set()  # modules with no layer that trains differently

    def accumulated(self, node: ast.AugAssign, source_of: Callable[[ast.AST], str]) -> str | None:
        """`total += loss` made `total` hold a graph: what to say, where the program does it
        in a loop and only logs `total`."""
        if "total" in self.said:
            return None
        if self._totals is None:
            self._totals = logged_totals(self.tree)
        if id(node) not in self._totals or not isinstance(node.target, ast.Name):
            return None
        self.said.add("total")
        return accumulated_remark(node.target.id, " ".join(source_of(node).split()))

    def train_mode(self, module: nn.Module, code: str) -> str | None:
        """A module in training mode called under no_grad (evaluating, by the look of it),
        with layers that train and evaluate differently: what to say."""
        if "train" in self.said or id(module) in self._plain:
            return None
        kinds = {
            type(m).__name__
            for m in module.modules()
            if isinstance(m, _TRAIN_DEPENDENT)
            and not (isinstance(m, nn.modules.dropout._DropoutNd) and m.p == 0)
        }
        if not kinds:
            self._plain.add(id(module))  # (an evaluation loop calls it again and again)
            return None
        self.said.add("train")
        dropout = any("Dropout" in kind for kind in kinds)
        norm = any("BatchNorm" in kind for kind in kinds)
        what = " and ".join(
            part
            for part, present in (
                ("its dropout drops units at random", dropout),
                ("batch norm uses this batch's statistics (and updates its running ones)", norm),
            )
            if present
        )
        return (
            f"`{code}` runs in training mode under no_grad, as when evaluating: {what}. Call "
            f"`{code}.eval()` before evaluating, and `{code}.train()` before training again"
        )
