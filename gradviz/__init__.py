"""gradviz: see PyTorch autograd at work, with every value and gradient."""

__version__ = "0.1.0"
