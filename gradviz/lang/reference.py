"""The language reference (what `gradviz language` prints and docs/language.md holds)."""

from __future__ import annotations

from gradviz.lang import (
    attributes,
    catalog_names,
    distributions,
    module_fields,
    strings,
    training_tools,
)
from gradviz.lang.builtins import make_builtins
from gradviz.lang.limits import DEFAULT_LIMITS


def _limits() -> str:
    """What one run may do, from the limits themselves."""
    d = DEFAULT_LIMITS
    return (
        "Limits (a program that goes past one stops there, with the error at its line): "
        f"a tensor of at most "
        f"{d.max_tensor_elements:,} elements, {d.max_total_bytes >> 30} GiB of tensors held at "
        f"once, {d.max_value_bytes >> 20:,} MiB of lists, tuples, strings and dicts made in all, "
        f"strings of {d.max_string_chars:,} characters, loops of {d.max_loop_iterations:,} "
        f"rounds, {d.max_steps:,} steps, {d.max_ops:,} tensor operations, autograd graphs of "
        f"{d.max_graph_nodes:,} nodes, "
        f"calls {d.max_call_depth} deep, "
        f"{d.max_output_chars:,} characters printed, and {d.max_op_work:,} multiply-adds (or "
        "elements read by pooling windows) in one convolution, pooling, attention, matrix "
        "product or torch.linalg factorisation (counted as rows × columns × the smaller of the "
        "two; ten times that for svd and eigh).\n\n"
    )


def _block(title: str, names: list[str]) -> str:
    return f"### {title} ({len(names)})\n\n" + ", ".join(f"`{n}`" for n in names) + "\n\n"


def language_reference() -> str:
    """Every name a program may use, grouped, generated from the whitelists themselves."""
    parts = [
        "# The gradviz language\n\n",
        "A safe subset of Python and PyTorch. `torch`, `nn`, `F` (torch.nn.functional) and "
        "`math` are available without importing; `import torch`, `import torch.nn as nn`, "
        "`import torch.nn.functional as F`, `from torch import nn` and the like also work.\n\n",
        "Statements: assignment (also to tuples, items, `.requires_grad`, `.grad` and "
        "`.data`), augmented assignment (also `w.data -= lr * w.grad` and `self.steps += 1`), "
        "`if`/`elif`/`else`, `for` over `range(n)`, lists, tensors, "
        "`enumerate`, `zip`, a DataLoader and generators (at most "
        "100,000 iterations), `with torch.no_grad():` (or `enable_grad()`, `inference_mode()`, "
        "`set_grad_enabled(phase == 'train')`), `assert test, message` (a false test "
        "stops the program with `AssertionError` at its line), `break`, `continue`, `pass`, "
        "and expression statements. A top-level `x = 2.0` (a float literal) defines a scalar "
        "input that requires grad; `n = 3` (an int) stays a plain number. A script's "
        "boilerplate is skipped: type hints (`x: float = 2.0` is `x = 2.0`; annotations are "
        "never evaluated), `from __future__ import annotations`, imports from `typing`, and "
        'the `if __name__ == "__main__":` guard, whose block runs.\n\n',
        "Definitions: `def f(a, b=2, *rest, c=3, **options):` with `return` (positional and "
        "keyword arguments, defaults, keyword-only parameters, the rest as a tuple and a "
        "dict; a function's names are its own, the "
        "enclosing functions' and the program's top-level names are read through, as in "
        "Python: a function defined inside another, such as an LBFGS `closure`, sees the "
        "names of the call that defined it; a function with `yield x` statements is a "
        "generator, run a piece at a time as a loop or `next()` reads it, as d2l's "
        "`data_iter`; `iter()` and `next(it, default)` as in Python), and "
        "`class Net(nn.Module):` with class "
        "attributes (`hidden = 16`, read as `self.hidden` or `Net.hidden`), "
        "`__init__` (starting with "
        "`super().__init__()`), `forward` and other methods, layers and `nn.Parameter`s set "
        "on `self` — the usual PyTorch model, which then trains, traces (its layers named "
        "`model.fc1`) and maps its loss landscape like an `nn.Sequential`; "
        '`self.register_buffer("name", tensor)` in `__init__` adds a tensor that is not '
        "trained; a layer's `.weight` or `.bias` may be set to another layer's parameter "
        "(weight tying, `self.head.weight = self.tok_emb.weight`: one leaf, its gradient the "
        "sum of both uses) or to an `nn.Parameter`. A plain class (`class Tanh:`, or "
        "`class Pairs(Dataset):` for a "
        "DataLoader) has methods, class attributes and values set on `self`, and may define "
        "`__call__`, `__len__` and `__getitem__`; the attributes its methods set on `self` "
        "may be set on its objects anywhere (`layers[-1].gamma *= 0.1`); tensors it keeps are "
        "named by where the program keeps them (`layers[0].weight`, `layers[2].out`). "
        "`class P3(torch.autograd.Function):` with "
        "`@staticmethod def forward(ctx, x)` and `@staticmethod def backward(ctx, "
        "grad_output)` defines an operation with a backward of your own: "
        "`ctx.save_for_backward(...)`, `ctx.saved_tensors`, "
        "`ctx.needs_input_grad` and values set on `ctx` in forward; call it as "
        "`P3.apply(x)`. Its node (`P3Backward`) shows the value forward returned and the "
        "gradients backward sent. A function may be handed to torch where torch takes one: "
        "`model.apply(init_weights)`, `LambdaLR(opt, lr_lambda=f)`, `opt.step(closure)` "
        "(LBFGS), `y.register_hook(show)` (called with y's gradient during backward; what it "
        "returns replaces the gradient, and the graph shows the replaced one). `z.grad_fn` "
        "prints the autograd node that made z, and `.next_functions` / `.name()` walk the "
        "graph as torchviz does. "
        f"Calls nest at most {DEFAULT_LIMITS.max_call_depth} deep.\n\n",
        "Expressions: numbers, strings, `True`/`False`/`None`, lists, tuples and dicts "
        "(keys: strings, numbers or tuples of them; `.items()`, `.keys()`, `.values()`, "
        "`.get()`), sets of the same plain values (`set(words)`, `{1, 2}`, `.add()`, "
        "`.update()`, `|`, `&`, `-`), "
        "`+ - * / // % ** @`, comparisons, `and`/`or`/`not`, `x if c else y`, indexing and "
        "slicing, calls with keyword arguments, `*args` and `**config` (a dict), `[*a, *b]`, "
        "`first, *rest = xs`, f-strings, "
        "`'{}'.format(...)` and "
        "`'%d: %.3f' % (i, x)`. `_` is a name like any other (`for _ in range(3)`). "
        "`out=` writes a result into the tensor given (`torch.matmul(a, b, out=y)`; its "
        "size is checked before torch resizes it). `type(x)` prints as in Python "
        "(`<class 'float'>`) and compares (`type(x) == float`); it cannot be called; "
        "`type(x).__name__` and `x.__class__.__name__` give the class's name (`'Conv2d'`).\n\n",
        "Refused with a message naming the line and column: classes inside functions, "
        "`global`/`nonlocal`, positional-only parameters (`/`), decorators (but "
        "`@torch.no_grad()`, `@torch.enable_grad()` "
        "and `@torch.inference_mode()`), classes derived from anything but `nn.Module`, "
        "`Dataset` or `torch.autograd.Function` (or nothing), "
        "`lambda`, "
        "comprehensions (the message writes the loop that does the same), `while`, `try`, "
        "imports other than torch and math, names and "
        "attributes starting with `_`, attributes not listed below, `eval`/`exec`/`open`/"
        "`getattr` and friends, `torch.load`/`save`/`hub`, `.numpy()`.\n\n",
        "`torch.autograd.grad(outputs, inputs)` returns the gradients and leaves `.grad` "
        "alone, as in PyTorch; the graph shows that pass like a backward. With "
        "`create_graph=True` the gradient is a tensor with a graph of its own: "
        "differentiate it again and the graph drawn is the gradient's (the backward "
        "formula's ops, with their values). `torch.autograd.functional`'s `jacobian`, "
        "`hessian`, `vjp`, `jvp`, `hvp` and `vhp` take a function the program defines.\n\n",
        "The output is the tensor `.backward()` (or `torch.autograd.grad`) was last called "
        "on, else the last tensor assigned or written as an expression.\n\n",
        "Errors name their line and column; a shape error names the operands and the sizes "
        "that disagree (`W is 3×4 and x has 5 elements`, or the `nn.Linear` that was given "
        "the wrong number of features), and the common autograd errors (backward of a "
        "non-scalar, a second backward, an in-place change of a leaf) say what to do first. "
        "Warnings torch gives while the program runs (a loss "
        "that broadcasts two shapes, `.grad` of a non-leaf) become notes under the graph, "
        "with their line.\n\n",
        _limits(),
        _block("Builtins", sorted(make_builtins(DEFAULT_LIMITS, print))),
        _block(
            "String methods (results up to the string limit)",
            sorted(["format", *strings.STR_METHODS]),
        ),
        _block("Bare maths functions (also on plain numbers)", catalog_names.BARE_MATH),
        _block("torch functions", sorted(catalog_names.TORCH_FUNCTIONS)),
        _block("dtypes", catalog_names.DTYPES),
        _block("torch.nn.functional (F)", sorted(catalog_names.FUNCTIONAL)),
        _block("torch.nn modules", sorted(catalog_names.NN_MODULES)),
        _block("torch.optim optimizers", catalog_names.OPTIMIZERS),
        _block(
            "torch.optim.lr_scheduler (`.step()`, `.get_last_lr()`; ReduceLROnPlateau's "
            "`.step(metric)`)",
            training_tools.SCHEDULERS,
        ),
        _block("torch.nn.init", training_tools.INITIALISERS),
        _block("torch.nn.utils", [*catalog_names.NN_UTILS, "rnn.pad_sequence"]),
        _block(
            "torch.linalg (results' fields: `.U` `.S` `.Vh`, `.Q` `.R`, `.eigenvalues` "
            "`.eigenvectors`, `.sign` `.logabsdet`, `.solution`)",
            catalog_names.LINALG,
        ),
        _block(
            "torch.utils.data (batches made in this process: batch_size, shuffle, drop_last)",
            ["TensorDataset", "DataLoader", "random_split", "Dataset (as a class's base)"],
        ),
        _block(
            "torch.distributions (with `kl_divergence`; `.sample(shape)` and `.rsample(shape)` "
            "draw from torch's random stream)",
            distributions.DISTRIBUTIONS,
        ),
        _block(
            "Distribution methods and properties",
            sorted([*distributions.METHODS, *distributions.PROPERTIES]),
        ),
        _block("Tensor methods", sorted(attributes.TENSOR_METHODS)),
        _block("Tensor properties", sorted(attributes.TENSOR_PROPERTIES)),
        _block(
            "Module attributes and methods (`.keys()` `.values()` `.items()` of nn.ModuleDict "
            "and nn.ParameterDict)",
            sorted([*attributes.MODULE_DATA, *attributes.MODULE_METHODS]),
        ),
        _block(
            "Parts and settings of torch.nn's layers (also each recurrent layer's "
            "`weight_ih_l1`, `bias_hh_l0_reverse`, …)",
            sorted([*module_fields.MODULE_PARTS, *module_fields.MODULE_SETTINGS]),
        ),
        _block(
            'Optimizer methods and data (`param_groups[i]["lr"]` may be set)',
            sorted([*training_tools.OPTIMIZER_METHODS, *attributes.OPTIMIZER_DATA]),
        ),
        "### Other\n\n`nn.Parameter`, `nn.Module` and `torch.autograd.Function` (as a class's "
        "base), `torch.device`, `torch.cuda.is_available()`, `torch.cuda.device_count()`, "
        "`torch.accelerator.is_available()` / `.current_accelerator()`, "
        "`torch.backends.mps.is_available()` (and `cuda.is_built()`, `cudnn.is_available()`; "
        "cuDNN's settings are refused), `torch.autograd.grad`, "
        "`torch.Tensor(data)` (the legacy constructor: default dtype; `torch.Tensor(3, 4)` "
        "makes zeros) and its typed forms (`torch.FloatTensor`, `torch.LongTensor`, …, also as "
        "`x.type(torch.FloatTensor)`), `torch.autograd.Variable(t, requires_grad=True)` (old "
        "tutorials': a tensor today), `torch.Generator().manual_seed(n)` for `generator=` "
        "arguments, "
        "`torch.manual_seed(n)`, `nn.Embedding.from_pretrained(vectors, freeze=...)`, "
        "`torch.no_grad()`, `torch.enable_grad()`, `math.pi` and "
        "friends, list `.append`/`.extend`, `str.format`, `.values`/`.indices` of "
        "`max(dim=...)` results.\n",
    ]
    return "".join(parts)
