"""The tracer: run a program, capture PyTorch's real autograd graph with values and gradients."""
