"""torch.distributions as a course uses it: a VAE's Normal, REINFORCE's Categorical, their
samples, log-probabilities, entropies and KL divergences (only what is listed here)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import distributions

from gradviz.lang.objects import BoundMethod, Fn, Namespace

# The distributions a lecture draws from, by the name torch.distributions gives them
DISTRIBUTIONS = (
    "Normal Bernoulli Categorical OneHotCategorical Uniform MultivariateNormal Laplace "
    "Exponential Beta Gamma Dirichlet Poisson Binomial Independent"
).split()

# What a distribution does: each returns tensors, sampled through torch's own random stream
METHODS: dict[str, Callable[..., Any]] = {
    "sample": lambda d, sample_shape=(): d.sample(torch.Size(sample_shape)),
    "rsample": lambda d, sample_shape=(): d.rsample(torch.Size(sample_shape)),
    "log_prob": lambda d, value: d.log_prob(value),
    "entropy": lambda d: d.entropy(),
    "cdf": lambda d, value: d.cdf(value),
    "icdf": lambda d, value: d.icdf(value),
    "perplexity": lambda d: d.perplexity(),
}

# What it holds: its parameters, moments and shapes
PROPERTIES = (
    "mean mode stddev variance loc scale probs logits low high rate concentration "
    "concentration0 concentration1 covariance_matrix scale_tril precision_matrix total_count "
    "batch_shape event_shape has_rsample base_dist"
).split()


def _kl_divergence(p: Any, q: Any) -> Any:
    if not isinstance(p, distributions.Distribution) or not isinstance(
        q, distributions.Distribution
    ):
        raise TypeError("kl_divergence(p, q) takes two distributions, such as two Normal(…)")
    return distributions.kl_divergence(p, q)


def _namespace() -> Namespace:
    members: dict[str, object] = {
        name: Fn(f"distributions.{name}", getattr(distributions, name)) for name in DISTRIBUTIONS
    }
    kl = Fn("distributions.kl_divergence", _kl_divergence)
    members["kl_divergence"] = kl
    members["kl"] = Namespace("torch.distributions.kl", {"kl_divergence": kl})
    return Namespace("torch.distributions", members)


DISTRIBUTIONS_NS = _namespace()


def distribution_attribute(value: distributions.Distribution, name: str) -> object:
    """`d.sample()`, `d.mean`: the listed methods and properties; AttributeError otherwise."""
    kind = type(value).__name__
    if name in METHODS:
        return BoundMethod(f"{kind}.{name}", METHODS[name], value)
    if name in PROPERTIES:
        try:
            return getattr(value, name)
        except (AttributeError, NotImplementedError):
            raise AttributeError(f"{kind} has no `.{name}`") from None
    raise AttributeError(f"`.{name}` is not available on a {kind} distribution")
