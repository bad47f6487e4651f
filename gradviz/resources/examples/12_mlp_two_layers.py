# A two-layer MLP on a small batch: parameters are named by module path.
import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
X = torch.randn(8, 2)
y = torch.randn(8, 1)
loss = F.mse_loss(model(X), y)
loss.backward()
