# Scaled dot-product attention for one head, written out.
import math

import torch

q = torch.randn(2, 4, requires_grad=True)
k = torch.randn(3, 4, requires_grad=True)
v = torch.randn(3, 5, requires_grad=True)
scores = q @ k.T / math.sqrt(4)
weights = torch.softmax(scores, dim=-1)
out = weights @ v
loss = out.pow(2).mean()
loss.backward()
