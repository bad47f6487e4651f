"""The builder's network (an nn.Sequential of linear layers, activations and dropout) and its
loss at a whole chunk of weight settings at once: the ATen ops torch runs for each module,
applied through the landscape's batched replay (affine first layer, batched matmuls, fused
losses) instead of torch.func.vmap, which copies more (about 3× slower on a CPU)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from gradviz.nets.affine import Affine, affine_call, remembered, shared_coeffs
from gradviz.nets.batched import Batched, Unbatchable

# module type → the ATen op its forward runs, and the arguments after the input
ACTIVATION_OPS: dict[type[nn.Module], tuple[str, Any]] = {
    nn.ReLU: ("aten.relu.default", lambda m: ([], {})),
    nn.Tanh: ("aten.tanh.default", lambda m: ([], {})),
    nn.Sigmoid: ("aten.sigmoid.default", lambda m: ([], {})),
    nn.GELU: ("aten.gelu.default", lambda m: ([], {"approximate": m.approximate})),
    nn.LeakyReLU: ("aten.leaky_relu.default", lambda m: ([m.negative_slope], {})),
}
REDUCTIONS = {"none": 0, "mean": 1, "sum": 2}  # ATen's codes


def batched_model_loss(
    model: nn.Module,
    loss_fn: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    values: dict[str, Any],
    memo: dict[str, Affine] | None = None,
) -> torch.Tensor:
    """loss_fn(model(X), y) for each weight setting in `values` (module path → a Batched or
    Affine value, "model.0.weight"); `memo` keeps the affine results a landscape's chunks
    share. Raises Unbatchable for a module or loss option without a batched form here."""
    if not isinstance(model, nn.Sequential):
        raise Unbatchable("not a sequence of layers")
    shared = shared_coeffs(values.values())
    donated = not torch.is_grad_enabled()  # a layer's output is read by the next module only

    def kept(key: str, op: str, args: list[Any]) -> Any:
        """affine_call(op, args), its affine result kept in the memo for the next chunks."""
        return remembered(memo, shared, key, lambda: affine_call(op, args, {}))

    h: Any = X
    for index, module in enumerate(model):
        path = f"model.{index}"
        if isinstance(module, nn.Linear):
            t = kept(f"{path}:t", "aten.t.default", [values[f"{path}.weight"]])
            if module.bias is None:
                h = kept(path, "aten.mm.default", [h, t])
            else:
                h = kept(path, "aten.addmm.default", [values[f"{path}.bias"], h, t])
        elif type(module) in ACTIVATION_OPS:
            op, extra = ACTIVATION_OPS[type(module)]
            args, kwargs = extra(module)
            h = affine_call(op, [h, *args], kwargs, donated and isinstance(h, Batched))
        elif isinstance(module, nn.Dropout) and (not module.training or module.p == 0):
            continue  # the identity
        elif isinstance(module, nn.Identity):
            continue
        else:
            raise Unbatchable(type(module).__name__)
    if not isinstance(h, Batched):  # no parameter at all
        raise Unbatchable("a loss that does not depend on the weights")
    return _loss(loss_fn, h, y).tensor.reshape(h.count)


def _loss(loss_fn: nn.Module, out: Any, y: torch.Tensor) -> Batched:
    reduction = REDUCTIONS.get(getattr(loss_fn, "reduction", ""))
    if reduction != 1:
        raise Unbatchable("a loss that is not averaged")
    if type(loss_fn) is nn.CrossEntropyLoss:
        if loss_fn.weight is not None or loss_fn.label_smoothing != 0 or y.is_floating_point():
            raise Unbatchable("cross-entropy with weights, smoothing or probabilities")
        log_probs = affine_call("aten._log_softmax.default", [out, 1, False], {})
        args = [log_probs, y, None, reduction, loss_fn.ignore_index]
        result = affine_call("aten.nll_loss_forward.default", args, {})
        return result[0]  # type: ignore[no-any-return]
    if type(loss_fn) is nn.MSELoss:
        return affine_call("aten.mse_loss.default", [out, y, reduction], {})  # type: ignore[no-any-return]
    if type(loss_fn) is nn.BCEWithLogitsLoss:
        if loss_fn.weight is not None or loss_fn.pos_weight is not None:
            raise Unbatchable("BCE with weights")
        args = [out, y, None, None, reduction]
        return affine_call("aten.binary_cross_entropy_with_logits.default", args, {})  # type: ignore[no-any-return]
    raise Unbatchable(type(loss_fn).__name__)
