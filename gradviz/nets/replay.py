"""Re-running a traced graph with other parameter values: the loss as a function of the
parameters — per point (vmappable: every op is the recorded ATen call) or for a whole batch of
parameter settings at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from gradviz.autograd.graph import Graph, GraphNode
from gradviz.nets.affine import Affine, affine_call, remembered, shared_coeffs
from gradviz.nets.batched import FRESH_RESULTS, Batched, Unbatchable

Params = dict[str, torch.Tensor]
LossFn = Callable[[Params], torch.Tensor]


class ReplayError(ValueError):
    """The graph cannot be re-run (an op that was not recorded, or no such parameters)."""


def _resolve(value: Any, ref: Any, env: dict[str, Any]) -> Any:
    if isinstance(ref, tuple) and len(ref) == 2 and isinstance(ref[0], str):
        node_id, output_nr = ref
        if node_id in env:
            produced = env[node_id]
            return produced[output_nr] if isinstance(produced, (tuple, list)) else produced
        return value
    if isinstance(value, (list, tuple)) and isinstance(ref, tuple):
        return type(value)(_resolve(v, r, env) for v, r in zip(value, ref, strict=False))
    return value


# Batch norm in training updates its running statistics in place, though they do not change
# its output: a replay passes none (nothing the graph shows is written, and vmap can batch it).
_STATISTICS_UPDATED = {"aten.native_batch_norm.default"}


def _without_side_effects(op: str, args: list[Any]) -> list[Any]:
    if op in _STATISTICS_UPDATED and len(args) > 5 and args[5] is True:
        return [*args[:3], None, None, *args[5:]]
    return args


def _has_batched(values: Any) -> bool:
    if isinstance(values, Batched):
        return True
    if isinstance(values, (list, tuple)):
        return any(_has_batched(v) for v in values)
    return False


def _last_read(graph: Graph, output: str) -> dict[str, list[str]]:
    """For each op node, the values (node ids) that no later op reads: the replay lets them go
    once it has run, so that a chunk's large intermediates are freed as a plain forward frees
    them (the next one reuses their memory while the cache still holds it)."""
    last: dict[str, str] = {}

    def visit(ref: Any, reader: str) -> None:
        if isinstance(ref, tuple) and len(ref) == 2 and isinstance(ref[0], str):
            last[ref[0]] = reader
        elif isinstance(ref, tuple):
            for item in ref:
                visit(item, reader)

    for node in graph.nodes:
        if node.call is not None:
            for ref in node.call.refs:
                visit(ref, node.id)
    done: dict[str, list[str]] = {}
    for value, reader in last.items():
        if value != output:
            done.setdefault(reader, []).append(value)
    return done


def _readers(graph: Graph, output: str) -> dict[str, int]:
    counts: dict[str, int] = {output: 1}

    def count(ref: Any) -> None:
        if isinstance(ref, tuple) and len(ref) == 2 and isinstance(ref[0], str):
            counts[ref[0]] = counts.get(ref[0], 0) + 1
        elif isinstance(ref, tuple):
            for item in ref:
                count(item)

    for node in graph.nodes:
        if node.call is not None:
            for ref in node.call.refs:
                count(ref)
    return counts


def _viewed_constants(graph: Graph) -> set[str]:
    """Constants an op read other than the node shows them: through a view (x.unsqueeze(0),
    which a matmul of a vector makes; W.T). Those are replayed as the op recorded them; the
    others from the node's own copy, taken when the graph was built."""
    shown = {
        n.id: n.value
        for n in graph.nodes
        if n.kind == "const" and isinstance(n.value, torch.Tensor)
    }
    viewed: set[str] = set()

    def visit(value: Any, ref: Any) -> None:
        if isinstance(ref, tuple) and len(ref) == 2 and isinstance(ref[0], str):
            node = shown.get(ref[0])
            if node is not None and isinstance(value, torch.Tensor):
                same = value.shape == node.shape and value.dtype == node.dtype
                if not (same and torch.equal(value, node)):
                    viewed.add(ref[0])
        elif isinstance(ref, tuple) and isinstance(value, (list, tuple)):
            for v, r in zip(value, ref, strict=False):
                visit(v, r)

    for node in graph.nodes:
        if node.call is not None:
            for value, ref in zip(node.call.args, node.call.refs, strict=False):
                visit(value, ref)
    return viewed


def _aten(op: str) -> Any:
    _, name, overload = op.split(".")
    return getattr(getattr(torch.ops.aten, name), overload)


class Replay:
    """The traced program as a function of its parameters: torch.nn parameters by module path
    (`model.0.weight`), else the tensors it made with requires_grad=True, by name (`w`)."""

    def __init__(self, graph: Graph, output: str, params: dict[str, GraphNode]) -> None:
        self.graph = graph
        self.output = output
        self.params = params
        self.keys = {node.id: key for key, node in params.items()}  # node id → params key
        self.viewed = _viewed_constants(graph)
        self.readers = _readers(graph, output)  # node id → how many ops read its value
        self.last_read = _last_read(graph, output)  # op node id → values it reads last
        self.fresh = {  # op nodes whose value is a new tensor, not a view of another
            n.id: n.call is not None and n.call.name in FRESH_RESULTS
            for n in graph.nodes
            if n.kind == "op"
        }
        sizes = [
            n.value.numel() * n.value.element_size()
            for n in graph.nodes
            if n.kind == "op" and isinstance(n.value, torch.Tensor)
        ]
        self.activation_bytes = sum(sizes)  # of one evaluation: sizes batched chunks
        self.largest_bytes = max(sizes, default=0)  # its largest intermediate value

    def _run(self, values: dict[str, Any], call: Callable[[GraphNode, list[Any]], Any]) -> Any:
        env: dict[str, Any] = {}
        keys = self.keys
        for node in self.graph.nodes:
            key = keys.get(node.id)
            if key is not None and key in values:
                env[node.id] = values[key]
            elif node.kind == "const" and node.id in self.viewed:
                continue  # read as the op recorded it: the node shows the tensor it views
            elif node.kind != "op":
                env[node.id] = node.value
            else:
                recorded = node.call
                assert recorded is not None
                args = [
                    _resolve(a, r, env) for a, r in zip(recorded.args, recorded.refs, strict=False)
                ]
                env[node.id] = call(node, _without_side_effects(recorded.op, args))
                del args
                for done in self.last_read.get(node.id, ()):
                    env.pop(done, None)  # read for the last time: its memory serves the next op
        result = env[self.output]
        return result[0] if isinstance(result, (tuple, list)) else result

    def __call__(self, values: Params) -> torch.Tensor:
        def call(node: GraphNode, args: list[Any]) -> Any:
            assert node.call is not None
            return _aten(node.call.op)(*args, **node.call.kwargs)

        result: torch.Tensor = self._run(values, call)
        return result

    def batched(
        self, values: dict[str, torch.Tensor | Batched], memo: dict[str, Affine] | None = None
    ) -> torch.Tensor:
        """The loss for each slice values[·][i]: every tensor carries a leading batch
        dimension (or is a Batched value already, such as an Affine one). Raises Unbatchable
        where an op has no batched form here. `memo`, shared by calls whose Affine values
        differ only in their coefficients (one landscape's chunks), keeps each op's affine
        result, so that the later calls only apply their own coefficients to it."""
        shared = shared_coeffs(values.values())

        def call(node: GraphNode, args: list[Any]) -> Any:
            return remembered(memo, shared, node.id, lambda: compute(node, args))

        def compute(node: GraphNode, args: list[Any]) -> Any:
            recorded = node.call
            assert recorded is not None
            if not (_has_batched(args) or _has_batched(list(recorded.kwargs.values()))):
                return _aten(recorded.op)(*args, **recorded.kwargs)
            first = recorded.refs[0] if recorded.refs else None
            donated = (
                not torch.is_grad_enabled()  # under autograd, an op may need its input later
                and isinstance(first, tuple)
                and isinstance(first[0], str)
                and self.readers.get(first[0]) == 1
                and self.fresh.get(first[0], False)
            )
            return affine_call(recorded.op, args, recorded.kwargs, donated)

        wrapped = {k: v if isinstance(v, Batched) else Batched(v) for k, v in values.items()}
        result = self._run(wrapped, call)
        size = next(iter(wrapped.values())).count
        if not isinstance(result, Batched):  # the loss does not depend on the parameters
            return torch.as_tensor(result).expand(size).clone()
        return result.tensor.reshape(size)


def _leaf_tensors(graph: Graph) -> dict[str, GraphNode]:
    """A model written with raw tensors (`w = torch.randn(5, 3, requires_grad=True)`, a plain
    class's `self.weight`): its leaves that require grad, by name (`w`; a repeated name, or
    none, by the node: `w@n3`), where at least one is a matrix that the landscape's
    filter-normalised directions move (they leave vectors and scalars where they are)."""
    leaves = [
        n
        for n in graph.nodes
        if n.kind == "input" and isinstance(n.value, torch.Tensor) and n.value.is_floating_point()
    ]
    if not any(isinstance(n.value, torch.Tensor) and n.value.dim() >= 2 for n in leaves):
        return {}
    names = [n.name for n in leaves]
    return {
        (n.name if n.name and names.count(n.name) == 1 else f"{n.name or 'leaf'}@{n.id}"): n
        for n in leaves
    }


def replay_loss(graph: Graph, prefix: str = "") -> tuple[Replay, Params]:
    """The program as a function params → loss, and the parameters it was traced at: its
    torch.nn parameters (those under `prefix`), else its leaf tensors (_leaf_tensors)."""
    params = {n.param_path: n for n in graph.nodes if n.kind == "param" and n.param_path}
    chosen = {path: node for path, node in params.items() if path.startswith(prefix)}
    if not chosen and not params and not prefix:
        chosen = _leaf_tensors(graph)
    if not chosen:
        where = f" under {prefix.rstrip('.')!r}" if prefix else ""
        raise ReplayError(
            f"the program has no torch.nn parameters{where} to move along (nor a weight "
            "matrix made with requires_grad=True)"
        )
    output = graph.output
    if output is None:
        raise ReplayError("the program has no output")
    value = next(n.value for n in graph.nodes if n.id == output)
    if not isinstance(value, torch.Tensor) or value.numel() != 1:
        shape = tuple(value.shape) if isinstance(value, torch.Tensor) else "not a tensor"
        raise ReplayError(f"the loss must be a single number; the program's output is {shape}")
    for node in graph.nodes:
        if node.kind == "op" and node.defined_by:
            raise ReplayError(
                f"{node.defined_by} is the program's own autograd.Function, which a loss "
                "landscape cannot re-run (it re-runs PyTorch's own operations only)"
            )
        if node.kind == "op" and node.call is None:
            raise ReplayError(f"{node.op} was not recorded, so it cannot be re-run")
    base = {p: n.value for p, n in chosen.items() if isinstance(n.value, torch.Tensor)}
    return Replay(graph, output, chosen), base


__all__ = ["LossFn", "Params", "Replay", "ReplayError", "Unbatchable", "replay_loss"]
