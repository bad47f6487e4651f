"""Explaining backprop: chain-rule steps, local derivative rules, playback orders."""
