"""The graph as `gradviz.graph/1` JSON: tensors in full up to a size cap, summarised beyond it."""

from __future__ import annotations

import math
from typing import Any

import torch

from gradviz.autograd.graph import Graph, GraphEdge, GraphNode
from gradviz.lang.parser import ScalarInput

SCHEMA = "gradviz.graph/1"
DEFAULT_MAX_ELEMENTS = 1024

JsonValue = Any


def encode_number(value: float | int | bool) -> JsonValue:
    """JSON has no NaN/Infinity: they become the strings "NaN", "Infinity", "-Infinity"."""
    if isinstance(value, (bool, int)):
        return value
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _encode_list(data: Any) -> JsonValue:
    if isinstance(data, list):
        return [_encode_list(item) for item in data]
    return encode_number(data)


def encode_tensor(value: torch.Tensor | float | None, max_elements: int) -> JsonValue:
    """A number for one-element 0-d tensors, nested lists up to `max_elements`, else null."""
    if value is None:
        return None
    if not isinstance(value, torch.Tensor):
        return encode_number(value)
    if value.numel() > max_elements:
        return None
    return _encode_list(value.detach().cpu().tolist())


def summary(value: torch.Tensor | float | None) -> dict[str, JsonValue] | None:
    """min, max, mean, std and L2 norm of a tensor with more than one element."""
    if not isinstance(value, torch.Tensor) or value.numel() <= 1:
        return None
    data = value.detach().to("cpu", torch.float64)
    result = {
        "min": data.min().item(),
        "max": data.max().item(),
        "mean": data.mean().item(),
        "std": data.std().item() if data.numel() > 1 else 0.0,
        "norm": data.norm().item(),
    }
    return {key: encode_number(number) for key, number in result.items()}


def dtype_name(value: torch.Tensor | float | None) -> str | None:
    if isinstance(value, torch.Tensor):
        return str(value.dtype).replace("torch.", "")
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "python int"
    if isinstance(value, float):
        return "python float"
    return None


def shape_of(value: torch.Tensor | float | None) -> list[int] | None:
    if isinstance(value, torch.Tensor):
        return list(value.shape)
    return [] if value is not None else None


def node_to_json(node: GraphNode, max_elements: int) -> dict[str, JsonValue]:
    data: dict[str, JsonValue] = {
        "id": node.id,
        "kind": node.kind,
        "op": node.op,
        "name": node.name,
        "auto_name": node.auto_name,
        "shape": shape_of(node.value),
        "dtype": dtype_name(node.value),
        "device": str(node.value.device) if isinstance(node.value, torch.Tensor) else None,
        "value": encode_tensor(node.value, max_elements),
        "grad": encode_tensor(node.grad, max_elements),
        "value_summary": summary(node.value),
        "grad_summary": summary(node.grad),
    }
    if node.aliases:
        data["aliases"] = list(node.aliases)
    if node.param_path:
        data["param_path"] = node.param_path
    if node.module:
        data["module"] = node.module
    if node.line is not None:
        data["line"] = node.line
    if node.defined_by:
        data["defined_by"] = node.defined_by
        data["defined_line"] = node.defined_line
    if node.sequence_nr is not None:
        data["sequence_nr"] = node.sequence_nr
    if node.saved:
        data["saved"] = [
            {"name": s.name, "shape": list(s.shape), "dtype": s.dtype, "bytes": s.nbytes}
            for s in node.saved
        ]
    if node.extra_outputs:
        data["more_outputs"] = [
            {
                "output_nr": nr,
                "name": extra.name,
                "shape": shape_of(extra.value),
                "value": encode_tensor(extra.value, max_elements),
                "grad": encode_tensor(extra.grad, max_elements),
            }
            for nr, extra in enumerate(node.extra_outputs, start=1)
        ]
    if node.nonfinite_value or node.nonfinite_grad:
        data["nonfinite"] = {
            "value": node.nonfinite_value,
            "grad": node.nonfinite_grad,
            "value_origin": node.nonfinite_origin,
            "grad_origin": node.grad_nonfinite_origin,
        }
    return data


def edge_to_json(edge: GraphEdge, max_elements: int) -> dict[str, JsonValue]:
    return {
        "src": edge.src,
        "dst": edge.dst,
        "input_index": edge.input_index,
        "output_nr": edge.output_nr,
        "grad": encode_tensor(edge.grad, max_elements),
    }


def graph_to_json(
    graph: Graph,
    *,
    max_elements: int = DEFAULT_MAX_ELEMENTS,
    printed: list[str] | None = None,
    inputs: list[ScalarInput] | None = None,
) -> dict[str, JsonValue]:
    """The graph in the documented `gradviz.graph/1` form (plus printed output and inputs)."""
    return {
        "schema": SCHEMA,
        "device": graph.device,
        "output": graph.output,
        "nodes": [node_to_json(node, max_elements) for node in graph.nodes],
        "edges": [edge_to_json(edge, max_elements) for edge in graph.edges],
        "backward_order": list(graph.backward_order),
        "seed": graph.seed,
        "notes": list(graph.notes),
        "modules": dict(graph.modules),
        "inputs": [{"name": i.name, "value": i.value, "line": i.line} for i in (inputs or [])],
        "printed": "".join(printed or []),
    }
