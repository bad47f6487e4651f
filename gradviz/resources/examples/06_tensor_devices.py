# The lecture's device example. Runs on the GPU where there is one.
# On a CUDA machine `torch.rand(2, 2, device='cuda')` works too.
import torch

y = torch.rand(2, 2)
my_device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
y = y.to(my_device)
print(y.device)
