# PyTorch 0.3's "60 minute blitz", Autograd: automatic differentiation (Variable and the
# legacy typed constructors it used; the while loop bounded as a for loop)
import torch
from torch.autograd import Variable

x = Variable(torch.ones(2, 2), requires_grad=True)
print(x)
y = x + 2
print(y)
print(y.grad_fn)
z = y * y * 3
out = z.mean()
print(z, out)
out.backward()
print(x.grad)

x = torch.randn(3)
x = Variable(x, requires_grad=True)
y = x * 2
for _ in range(10):
    if y.data.norm() >= 1000:
        break
    y = y * 2
print(y)
gradients = torch.FloatTensor([0.1, 1.0, 0.0001])
y.backward(gradients)
print(x.grad)
print(torch.LongTensor([1, 2]).type(torch.FloatTensor), torch.DoubleTensor(2, 2).dtype)
