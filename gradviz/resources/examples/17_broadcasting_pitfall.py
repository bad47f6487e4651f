# The broadcasting pitfall: predictions of shape (N, 1) against targets of shape (N,).
# torch warns (see the note under the graph), and the graph shows why: ExpandBackward0
# makes an N×N table, every prediction compared with every target. Fix it with
# `y = y.unsqueeze(1)` (or `pred.squeeze(1)`) and the expand disappears.
import torch
from torch import nn

torch.manual_seed(0)
X = torch.randn(6, 3)
y = X.sum(dim=1)  # shape (6,)
model = nn.Linear(3, 1)
pred = model(X)  # shape (6, 1)
loss = nn.functional.mse_loss(pred, y)
loss.backward()
