# The lecture's broadcasting example: a (1, 4) tensor stretches over (2, 4).
import torch

rand = torch.rand(2, 4)
doubled = rand * (torch.ones(1, 4) * 2)
print(doubled)
