# A model written the usual PyTorch way: a class with __init__ and forward.
# Its layers are named by attribute (model.fc1, model.fc2), and forward's own
# names (h) name the values inside it.
import torch
import torch.nn.functional as F
from torch import nn


class TwoLayerNet(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.fc1 = nn.Linear(2, hidden)
        self.fc2 = nn.Linear(hidden, 1)

    def forward(self, x):
        h = torch.tanh(self.fc1(x))
        return self.fc2(h)


torch.manual_seed(0)
model = TwoLayerNet(hidden=4)
X = torch.randn(8, 2)
y = torch.randn(8, 1)
loss = F.mse_loss(model(X), y)
loss.backward()
