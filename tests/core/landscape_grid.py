"""A landscape's every grid value against the loss evaluated here at that point's weights."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from gradviz.nets.landscape import Landscape, filter_normalised

Params = dict[str, torch.Tensor]


def assert_grid_equals(
    landscape: Landscape, base: Params, seed: int, evaluate: Callable[[Params], float]
) -> None:
    """Each losses[i, j] equals evaluate(θ + αⱼ·d₁ + βᵢ·d₂) within 1e-5, the directions drawn
    from `seed` as random_landscape draws them."""
    generator = torch.Generator().manual_seed(seed)
    first, second = filter_normalised(base, generator), filter_normalised(base, generator)
    with torch.no_grad():
        for i, beta in enumerate(landscape.betas.tolist()):
            for j, alpha in enumerate(landscape.alphas.tolist()):
                moved = {k: base[k] + alpha * first[k] + beta * second[k] for k in base}
                assert float(landscape.losses[i, j]) == pytest.approx(evaluate(moved), abs=1e-5)
