# Training the usual way: initialise with model.apply, decay the learning rate
# with a scheduler, and report accuracy with the model in eval mode.
# The graph is the last training step's; the printed log is under it.
import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.lr_scheduler import StepLR

torch.manual_seed(0)
X = torch.randn(200, 2)
y = (X[:, 0] * X[:, 1] > 0).long()  # XOR: opposite quadrants share a class


def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.kaiming_uniform_(m.weight, nonlinearity="relu")
        nn.init.zeros_(m.bias)


model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
model.apply(init_weights)
optimizer = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
scheduler = StepLR(optimizer, step_size=20, gamma=0.5)

for epoch in range(60):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(X), y)
    loss.backward()
    optimizer.step()
    scheduler.step()
    if epoch % 20 == 19:
        print(f"epoch {epoch + 1}: loss {loss.item():.3f}, lr {scheduler.get_last_lr()[0]}")

model.eval()
with torch.no_grad():
    _, predicted = torch.max(model(X), 1)
print("accuracy: %.1f %%" % (100 * (predicted == y).float().mean().item()))
