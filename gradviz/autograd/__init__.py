"""The tracer: run a program, capture PyTorch's real autograd graph with values and gradients."""

from gradviz.autograd.graph import Graph, GraphEdge, GraphNode, SavedTensor
from gradviz.autograd.tracer import TraceResult, trace

__all__ = ["Graph", "GraphEdge", "GraphNode", "SavedTensor", "TraceResult", "trace"]
