"""What a program may read of PyTorch's own layers beyond weight and bias: their parts
(`mha.in_proj_weight`, `layer.self_attn`, `lstm.weight_ih_l1`) and their settings (`num_heads`)."""

from __future__ import annotations

import re

from torch import nn

# Parameters, buffers and sub-layers of torch.nn's layers (a test checks every layer of the
# catalog against this list). Reading one gives the tensor or layer itself, never a copy.
MODULE_PARTS = (
    "num_batches_tracked in_proj_weight in_proj_bias q_proj_weight k_proj_weight "
    "v_proj_weight bias_k bias_v out_proj self_attn multihead_attn linear1 linear2 norm1 norm2 "
    "norm3 dropout1 dropout2 dropout3 dropout layers norm encoder decoder"
).split()

# Recurrent layers name each layer's weights: weight_ih_l0, bias_hh_l1_reverse, weight_hr_l0
RECURRENT_WEIGHT = re.compile(r"(weight|bias)_(ih|hh|hr)_l\d{1,3}(_reverse)?")

# Settings given to a layer's constructor, kept on it as plain numbers, strings and tuples
MODULE_SETTINGS = (
    "in1_features in2_features dilation groups output_padding padding_mode transposed affine "
    "momentum num_features track_running_stats elementwise_affine num_channels num_groups "
    "max_norm norm_type padding_idx scale_grad_by_freq sparse add_zero_attn batch_first "
    "embed_dim head_dim kdim vdim num_heads bidirectional mode nonlinearity proj_size "
    "norm_first d_model nhead init num_parameters align_corners scale_factor start_dim "
    "end_dim unflattened_size inplace negative_slope ceil_mode return_indices output_size "
    "value ignore_index label_smoothing reduction max_val min_val eps beta alpha lambd "
    "threshold upper lower dim enable_nested_tensor use_nested_tensor mask_check "
    "activation_relu_or_gelu"
).split()

_PLAIN = (int, float, bool, str, type(None))


def _plain(value: object) -> bool:
    if isinstance(value, (tuple, list)):
        return all(isinstance(item, _PLAIN) for item in value)
    return isinstance(value, _PLAIN)


def is_part_name(name: str) -> bool:
    """Whether `.name` may name a part of some layer (the static check's side)."""
    return name in MODULE_PARTS or RECURRENT_WEIGHT.fullmatch(name) is not None


def module_field(module: nn.Module, name: str) -> tuple[bool, object]:
    """(True, the value) where `name` is one of `module`'s parameters, buffers or sub-layers,
    or one of its settings holding a plain value; (False, None) otherwise."""
    for registry in (module._parameters, module._buffers, module._modules):
        if name in registry:
            return True, registry[name]
    if name in MODULE_SETTINGS and name in vars(module):
        value = vars(module)[name]
        if _plain(value):
            return True, value
    return False, None


def set_parameter(module: nn.Module, name: str, value: object) -> None:
    """`self.head.weight = self.tok_emb.weight`: one parameter shared by two layers (weight
    tying, as nanoGPT's head and embedding), or a new nn.Parameter, or None."""
    if value is not None and not isinstance(value, nn.Parameter):
        raise TypeError(
            f"a layer's `.{name}` is an nn.Parameter: set it to another layer's (`self.head."
            f"weight = self.tok_emb.weight`) or to `nn.Parameter(tensor)`, not "
            f"{type(value).__name__}"
        )
    setattr(module, name, value)
