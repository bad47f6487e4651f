# A second derivative: torch.autograd.grad returns gradients instead of
# storing them in .grad. With create_graph=True the gradient dy/dx is itself
# a tensor with a graph: differentiate it again for d²y/dx². The graph drawn
# is dy/dx's own: the ops of the backward formulas (3·x² for x**3, 2·x / 2
# for x**2 / 2) with their values, and ∇ = d(dy/dx)/d(node); at x that is
# d²y/dx² = 6x + 1.
import torch

x = 2.0  # a scalar input: drag its slider
y = x**3 + x**2 / 2
(dy_dx,) = torch.autograd.grad(y, x, create_graph=True)
(d2y_dx2,) = torch.autograd.grad(dy_dx, x)
print(f"dy/dx = 3x² + x = {dy_dx.item()},  d²y/dx² = 6x + 1 = {d2y_dx2.item()}")
