"""The safe PyTorch-subset language: parse with `ast`, check against whitelists, run with torch."""
