"""Size limits checked before anything is allocated, so no program can exhaust the machine."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Bounds on a program's source and on what running it may allocate or repeat."""

    max_source_chars: int = 100_000
    max_nesting: int = 100
    max_tensor_elements: int = 1 << 25  # 33.5 M elements (128 MiB of float32)
    max_total_bytes: int = 2 << 30  # live tensor bytes at any moment
    max_literal_elements: int = 100_000  # numbers in list/tuple literals, e.g. torch.tensor([...])
    max_int_bits: int = 4096
    max_string_chars: int = 10_000
    max_loop_iterations: int = 100_000
    max_steps: int = 1_000_000  # statements and expressions evaluated
    # tensor operations run, backward passes that build a graph (create_graph=True) included:
    # a derivative of a derivative taken in a loop doubles its graph at every round
    max_ops: int = 1_000_000
    # ops recorded for one traced backward pass, and nodes (leaves too) the pass reaches: a chain
    # of 20,000 is freed within a usual 8 MiB thread stack (see gradviz.deep_stack), and it is
    # 8 times what a picture can show
    max_graph_nodes: int = 20_000
    max_call_depth: int = 40  # calls of the program's own functions inside one another
    max_output_chars: int = 200_000  # printed text kept
    max_value_bytes: int = 1 << 30  # lists, tuples and strings a run makes, all told
    max_format_width: int = 200
    # multiply-adds (or window elements read) of one convolution, pooling or attention op:
    # seconds of work at most, where one op could otherwise run for hours
    max_op_work: int = 1 << 33


DEFAULT_LIMITS = Limits()
