"""torch.distributions in programs (a VAE's Normal and KL term, REINFORCE's Categorical):
samples, log-probabilities and gradients equal the same code in torch, with the same seed."""

from __future__ import annotations

import pytest
import torch
import torch.distributions as D
from torch import nn

from gradviz.autograd.graph import Graph
from gradviz.autograd.tracer import trace
from gradviz.lang.errors import ProgramError


def _leaf_grads(graph: Graph) -> dict[str, torch.Tensor]:
    return {
        (n.param_path or n.name or ""): n.grad
        for n in graph.nodes
        if n.kind in ("input", "param") and isinstance(n.grad, torch.Tensor)
    }


VAE_TERMS = """
import torch.distributions as D
torch.manual_seed(0)
mu = torch.zeros(3, requires_grad=True)
log_sigma = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
q = D.Normal(mu, log_sigma.exp())
p = D.Normal(torch.zeros(3), torch.ones(3))
z = q.rsample((4,))
kl = D.kl_divergence(q, p).sum()
loss = kl - p.log_prob(z).sum(-1).mean() + q.entropy().sum()
loss.backward()
print(q.batch_shape, q.event_shape, q.stddev)
"""


def test_a_normal_s_reparameterised_sample_kl_and_log_prob_match_torch() -> None:
    printed: list[str] = []
    result = trace(VAE_TERMS, on_print=printed.append)
    torch.manual_seed(0)
    mu = torch.zeros(3, requires_grad=True)
    log_sigma = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
    q = D.Normal(mu, log_sigma.exp())
    p = D.Normal(torch.zeros(3), torch.ones(3))
    z = q.rsample(torch.Size((4,)))
    loss = D.kl_divergence(q, p).sum() - p.log_prob(z).sum(-1).mean() + q.entropy().sum()
    loss.backward()
    assert "".join(printed) == f"{q.batch_shape} {q.event_shape} {q.stddev}\n"
    graph = result.graph
    out = next(n for n in graph.nodes if n.id == graph.output)
    torch.testing.assert_close(out.value, loss.detach())
    grads = _leaf_grads(graph)
    torch.testing.assert_close(grads["mu"], mu.grad)
    torch.testing.assert_close(grads["log_sigma"], log_sigma.grad)
    traced_z = next(n.value for n in graph.nodes if n.name == "z")
    torch.testing.assert_close(traced_z, z.detach())  # the same draw from the same stream


REINFORCE = """
from torch.distributions import Categorical
torch.manual_seed(0)
policy = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
states = torch.randn(5, 4)
log_probs = []
actions = []
for t in range(5):
    m = Categorical(logits=policy(states[t]))
    action = m.sample()
    actions.append(action.item())
    log_probs.append(m.log_prob(action))
rewards = torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0])
loss = -(torch.stack(log_probs) * rewards).sum()
loss.backward()
print(actions)
"""


def test_reinforce_with_categorical_samples_the_same_actions_and_gradients() -> None:
    printed: list[str] = []
    result = trace(REINFORCE, on_print=printed.append)
    torch.manual_seed(0)
    policy = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    states = torch.randn(5, 4)
    log_probs, actions = [], []
    for t in range(5):
        m = D.Categorical(logits=policy(states[t]))
        action = m.sample()
        actions.append(action.item())
        log_probs.append(m.log_prob(action))
    rewards = torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0])
    (-(torch.stack(log_probs) * rewards).sum()).backward()
    assert "".join(printed) == f"{actions}\n"
    grads = _leaf_grads(result.graph)
    for path, parameter in policy.named_parameters():
        torch.testing.assert_close(grads[f"policy.{path}"], parameter.grad, msg=path)


@pytest.mark.parametrize(
    ("source", "words"),
    [
        (
            "from torch.distributions import Normal\nd = Normal(torch.tensor(0.0), "
            "torch.tensor(-1.0))\n",
            "line 2, col 5: .*to satisfy the constraint GreaterThan",
        ),
        (
            "from torch.distributions import Normal\nd = Normal(0.0, 1.0)\n"
            "s = d.sample((100000, 100000))\n",
            "line 3, col 5: .*10,000,000,000 elements",
        ),
        (
            "from torch.distributions import Normal\nd = Normal(0.0, 1.0)\nf = d.expand\n",
            "`.expand` is not available on a Normal distribution",
        ),
        (
            "import torch.distributions as D\nd = D.kl_divergence(1.0, 2.0)\n",
            "takes two distributions",
        ),
        ("from torch.distributions import TransformedDistribution\n", "not available"),
    ],
)
def test_bad_distribution_code_gets_a_clear_error(source: str, words: str) -> None:
    with pytest.raises(ProgramError, match=words):
        trace(source)
