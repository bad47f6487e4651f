"""The full text summary of a node, for the canvas's hover tooltip."""

from __future__ import annotations

import torch

from gradviz.autograd.graph import Graph, GraphNode
from gradviz.autograd.nonfinite import nonfinite_kinds
from gradviz.render.labels import format_number, shape_text


def _describe(label: str, value: torch.Tensor | float | None) -> list[str]:
    if value is None:
        return [f"{label}: none"]
    if not isinstance(value, torch.Tensor):
        return [f"{label}: {value}"]
    if value.numel() == 1:
        return [f"{label}: {format_number(float(value.item()), 8)}"]
    data = value.detach().double()
    lines = [
        f"{label}: {shape_text(tuple(value.shape))} {str(value.dtype).replace('torch.', '')}",
        f"  min {format_number(float(data.min()), 5)}   max {format_number(float(data.max()), 5)}",
        f"  mean {format_number(float(data.mean()), 5)}   std {format_number(float(data.std()), 5)}"
        f"   ‖·‖ {format_number(float(data.norm()), 5)}",
    ]
    if value.numel() <= 12:
        numbers = ", ".join(format_number(float(x), 4) for x in data.flatten().tolist())
        lines.append(f"  [{numbers}]")
    return lines


def node_tooltip(graph: Graph, node: GraphNode) -> str:
    """Name, kind, op, device, value and gradient summaries, saved tensors, warnings."""
    lines = [node.name or node.label]
    kinds = {"input": "input (leaf)", "param": "parameter (leaf)"}
    kind = node.op or kinds.get(node.kind, node.kind)
    lines.append(kind + ("  ·  output" if node.id == graph.output else ""))
    if node.param_path and node.param_path != node.name:
        lines.append(f"module path: {node.param_path}")
    if isinstance(node.value, torch.Tensor):
        lines.append(f"device: {node.value.device}")
    lines += _describe("value", node.value)
    if node.kind != "const":
        lines += _describe("∂output/∂node", node.grad)
    if node.saved:
        total = sum(s.nbytes for s in node.saved)
        lines.append(f"saved for backward: {len(node.saved)} tensors, {total:,} bytes")
    if node.nonfinite_origin:
        lines.append(f"⚠ {nonfinite_kinds(node.value)} first appears here")
    return "\n".join(lines)
