"""The optimizer lab's core: loss surfaces, the torch.optim registry, batched trajectories."""
