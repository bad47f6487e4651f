# A small network on two moons: open the Network tab to build, train and see its landscape.
# Built with the Network tab; edit it here or there, they stay one program.
torch.manual_seed(0)
device = "cpu"

# the data: two columns x, y and a target
dataset = "moons"
n = 200
noise = 0.1
test_fraction = 0.2
with torch.no_grad():
    half = n // 2
    target = torch.cat([torch.ones(half), torch.zeros(n - half)])
    t = torch.rand(n) * math.pi
    x = torch.where(target > 0, torch.cos(t), 1 - torch.cos(t)) - 0.5 + noise * torch.randn(n)
    y = torch.where(target > 0, torch.sin(t), 0.5 - torch.sin(t)) - 0.25 + noise * torch.randn(n)
    order = torch.randperm(n)  # shuffled, so that every batch mixes the classes
    x, y, target = x[order], y[order], target[order]
    features = torch.stack([x, y], dim=1)
    labels = target.unsqueeze(1)
    n_test = int(n * test_fraction)
    X_test, X_train = features[:n_test].to(device), features[n_test:].to(device)
    y_test, y_train = labels[:n_test].to(device), labels[n_test:].to(device)

# the network, its loss and its optimizer
model = nn.Sequential(
    nn.Linear(2, 8), nn.Tanh(),
    nn.Linear(8, 8), nn.Tanh(),
    nn.Linear(8, 1),
)
model = model.to(device)
loss_fn = nn.BCEWithLogitsLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.03)

# training: zero_grad, forward, loss, backward, step on one batch after another
batch_size = 16
steps = 1  # the Network tab trains on from here, step by step
for step in range(steps):
    start = step * batch_size % len(X_train)
    inputs = X_train[start:start + batch_size]
    labels_batch = y_train[start:start + batch_size]
    optimizer.zero_grad()
    loss = loss_fn(model(inputs), labels_batch)
    loss.backward()
    optimizer.step()
