# Broadcasting with gradients: b is added to every row, so its gradient
# sums over the rows it was stretched across.
import torch

W = torch.randn(3, 4, requires_grad=True)
b = torch.randn(4, requires_grad=True)
h = W + b
loss = (h**2).mean()
loss.backward()
