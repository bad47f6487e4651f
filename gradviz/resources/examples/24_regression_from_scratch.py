# Linear regression from scratch, as in Dive into Deep Learning: no nn, no optim
# A generator yields shuffled minibatches; each step computes the loss with plain
# tensor ops, backpropagates, and moves w and b against their gradients by hand.
# The graph is the last minibatch's; drag the learning rate and watch the loss.
import torch

torch.manual_seed(0)
true_w = torch.tensor([2, -3.4])
true_b = torch.tensor(4.2)
features = torch.normal(0, 1, (100, 2))
labels = (features @ true_w + true_b + torch.normal(0, 0.01, (100,))).reshape(-1, 1)


def data_iter(batch_size, features, labels):
    order = torch.randperm(len(features))
    for i in range(0, len(features), batch_size):
        rows = order[i : i + batch_size]
        yield features[rows], labels[rows]


w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
b = torch.zeros(1, requires_grad=True)
lr = 0.3

for epoch in range(5):
    for X, y in data_iter(20, features, labels):
        y_hat = X @ w + b
        loss = ((y_hat - y) ** 2 / 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
            w.grad.zero_()
            b.grad.zero_()
    print(f"epoch {epoch + 1}: loss {loss.item():.4f}")

print("w error:", (true_w - w.reshape(true_w.shape)).tolist())
