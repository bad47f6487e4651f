"""The optimizer lab tab: torch.optim racing on loss surfaces, in 2D and 3D."""
