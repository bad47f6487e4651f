# Layers by hand, as in Karpathy's makemore (part 3): plain classes, no nn.Module
# Each call of a layer object is a box named where the program keeps it
# (layers[0] · Linear, layers[1] · BatchNorm1d, ...): click a box's title to fold it.
# Its tensors are named the same way: layers[0].weight, layers[1].out.
import torch
import torch.nn.functional as F


class Linear:
    def __init__(self, fan_in, fan_out):
        self.weight = torch.randn((fan_in, fan_out)) / fan_in**0.5  # Kaiming-style scale

    def __call__(self, x):
        self.out = x @ self.weight
        return self.out

    def parameters(self):
        return [self.weight]


class BatchNorm1d:
    def __init__(self, dim, eps=1e-5):
        self.eps = eps
        self.gamma = torch.ones(dim)
        self.beta = torch.zeros(dim)

    def __call__(self, x):
        xhat = (x - x.mean(0, keepdim=True)) / torch.sqrt(x.var(0, keepdim=True) + self.eps)
        self.out = self.gamma * xhat + self.beta
        return self.out

    def parameters(self):
        return [self.gamma, self.beta]


class Tanh:
    def __call__(self, x):
        self.out = torch.tanh(x)
        return self.out

    def parameters(self):
        return []


torch.manual_seed(42)
layers = [Linear(6, 16), BatchNorm1d(16), Tanh(), Linear(16, 5)]
for layer in layers:
    for p in layer.parameters():
        p.requires_grad = True

X = torch.randn(32, 6)  # a batch of 32 examples
Y = torch.randint(0, 5, (32,))  # their classes
x = X
for layer in layers:
    x = layer(x)
loss = F.cross_entropy(x, Y)
loss.backward()
# How spread out is each layer's output? (Karpathy's activation statistics)
for i, layer in enumerate(layers):
    print(i, type(layer), f"std {layer.out.std().item():.3f}")
