# The lecture's tensor arithmetic. No tensor here requires grad, so autograd
# records nothing: see the printed values, then try requires_grad=True.
import torch

ones = torch.zeros(2, 2) + 1
twos = torch.ones(2, 2) * 2
threes = (torch.ones(2, 2) * 7 - 1) / 2
fours = twos**2
sqrt2s = twos**0.5
print(ones, twos, threes, fours, sqrt2s, sep="\n")
