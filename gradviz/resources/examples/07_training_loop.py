# The lecture's training loop on a tiny regression problem. The graph shows
# the last step's autograd graph; the printed losses show training progress.
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
X = torch.randn(64, 2)
Y = X[:, :1] * 2.0 - X[:, 1:] + 0.5
training_loader = DataLoader(TensorDataset(X, Y), batch_size=16, shuffle=True)

model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
loss_fn = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
print_every = 2

for epoch in range(5):
    running_loss = 0.0
    last_loss = 0.0

    for i, data in enumerate(training_loader):
        inputs, labels = data

        optimizer.zero_grad()

        outputs = model(inputs)

        loss = loss_fn(outputs, labels)
        loss.backward()

        optimizer.step()

        running_loss += loss.item()
        if i % print_every == print_every - 1:
            last_loss = running_loss / print_every
            print(f" batch {i + 1} loss: {last_loss}")
            running_loss = 0.0
