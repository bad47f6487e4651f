# Your own backward: a custom autograd.Function
# The lecture's f = x*y + exp(x*y), with exp written by hand. forward computes
# e^z and saves it for later; backward reuses it, since d(e^z)/dz = e^z.
# The MyExpBackward node receives ∂f/∂(e^z) and sends back what YOUR backward
# returns: edit it (try `grad_output * 2`) and watch ∂f/∂x go wrong.
import torch


class MyExp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z):
        result = torch.exp(z)
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        (result,) = ctx.saved_tensors
        return grad_output * result


x = 2.0
y = 3.0
z1 = x * y
f = z1 + MyExp.apply(z1)
f.backward()
print(x.grad, y * (1 + torch.exp(x * y)))
