"""Training the builder's network step by step: the program's own objects (run once by the
interpreter), then the program's training step repeated — zero_grad, forward, loss, backward,
step — exactly as the program's loop would run it with more steps."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from gradviz.nets.codegen import program
from gradviz.nets.spec import NetworkSpec
from gradviz.random_stream import global_random_stream

Column = torch.Tensor
CHECKPOINT_EVERY = 5  # steps between the weights kept for the PCA view (doubles as they pile up)
MAX_CHECKPOINTS = 200
# The whole training and test sets' loss is measured once an epoch (at most this many steps
# apart): at the same steps in every run, whatever the machine's speed or the pictures' pace
EVAL_EVERY_MAX = 100
MAX_ASPECT = 4.0  # the widest (or tallest) window the decision picture follows its view to
FEATURE_FUNCTIONS: dict[str, Callable[[Column, Column], Column]] = {  # as FEATURES writes them
    "x": lambda x, y: x,
    "y": lambda x, y: y,
    "x²": lambda x, y: x * x,
    "y²": lambda x, y: y * y,
    "xy": lambda x, y: x * y,
    "sin x": lambda x, y: torch.sin(x),
    "sin y": lambda x, y: torch.sin(y),
}


@dataclass
class Metrics:
    """The curves so far: one entry per step (batch loss, gradient norms), and per evaluation."""

    steps: list[int] = field(default_factory=list)
    batch_loss: list[float] = field(default_factory=list)
    grad_norms: dict[str, list[float]] = field(default_factory=dict)  # layer → ‖∂L/∂W‖ per step
    eval_steps: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)


class Trainer:
    """The network of `spec`, its data, optimizer and the step counter."""

    def __init__(self, spec: NetworkSpec) -> None:
        from gradviz.lang.interpreter import Interpreter
        from gradviz.lang.parser import parse

        self.spec = spec.check()
        run = Interpreter(parse(program(spec, steps=0)), device=spec.device).run()
        env = run.env
        self.model: nn.Module = env["model"]
        self.optimizer: torch.optim.Optimizer = env["optimizer"]
        self.loss_fn: nn.Module = env["loss_fn"]
        self.X_train, self.y_train = env["X_train"], env["y_train"]
        self.X_test, self.y_test = env["X_test"], env["y_test"]
        self.batch_size: int = env["batch_size"]
        n_test = env["n_test"]
        self.points = torch.stack([env["x"], env["y"]], dim=1).cpu()  # every point, shuffled
        self.targets = env["target"].cpu()
        self.is_test = torch.arange(len(self.points)) < n_test
        # dropout draws continue the program's random stream, whatever else uses torch's
        assert run.rng_state is not None
        self.rng, self.cuda_rng = run.rng_state, run.cuda_rng_state
        self.step_count = 0
        self.metrics = Metrics()
        self.checkpoints: list[dict[str, torch.Tensor]] = [state_of(self)]  # for the PCA view
        self.checkpoint_every = CHECKPOINT_EVERY
        epoch_steps = math.ceil(len(self.X_train) / max(self.batch_size, 1))
        self.eval_every = max(1, min(EVAL_EVERY_MAX, epoch_steps))
        self.layers = {
            name: module
            for name, module in self.model.named_modules()
            if isinstance(module, nn.Linear)
        }
        for name in self.layers:
            self.metrics.grad_norms[f"model.{name}"] = []

    @property
    def classification(self) -> bool:
        return not self.spec.data.regression

    def step(self, count: int = 1) -> None:
        """`count` training steps, each on the next batch (wrapping round the training set)."""
        device = self.X_train.device
        cuda = [device.index or 0] if device.type == "cuda" else []
        with global_random_stream(cuda):
            torch.set_rng_state(self.rng)
            if self.cuda_rng is not None:
                torch.cuda.set_rng_state(self.cuda_rng, device)
            for _ in range(count):
                start = self.step_count * self.batch_size % len(self.X_train)
                inputs = self.X_train[start : start + self.batch_size]
                labels = self.y_train[start : start + self.batch_size]
                self.optimizer.zero_grad()
                loss = self.loss_fn(self.model(inputs), labels)
                loss.backward()
                for name, layer in self.layers.items():
                    grad = layer.weight.grad
                    norm = float(grad.norm()) if grad is not None else 0.0
                    self.metrics.grad_norms[f"model.{name}"].append(norm)
                self.optimizer.step()
                self.step_count += 1
                if self.step_count % self.checkpoint_every == 0:
                    self._checkpoint()
                self.metrics.steps.append(self.step_count)
                self.metrics.batch_loss.append(loss.item())
                if self.step_count % self.eval_every == 0:
                    self.evaluate()  # (in eval mode: no dropout, no draw from the stream)
            self.rng = torch.get_rng_state()
            if self.cuda_rng is not None:
                self.cuda_rng = torch.cuda.get_rng_state(device)

    def _checkpoint(self) -> None:
        self.checkpoints.append(state_of(self))
        if len(self.checkpoints) > MAX_CHECKPOINTS:  # keep every other: a longer, coarser path
            self.checkpoints = self.checkpoints[::2]
            self.checkpoint_every *= 2

    def loss_function(self) -> ModelLoss:
        """The loss on the whole training set as a function of the weights (module paths)."""
        return ModelLoss(self.model, self.loss_fn, self.X_train, self.y_train)

    def _loss_and_accuracy(self, X: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
        if len(X) == 0:
            return math.nan, math.nan
        out = self.model(X)
        loss = float(self.loss_fn(out, y))
        if not self.classification:
            return loss, math.nan
        if self.spec.loss == "cross_entropy":
            predicted = out.argmax(1)
            return loss, float((predicted == y).float().mean())
        return loss, float(((out > 0).float() == y).float().mean())

    def evaluate(self) -> None:
        """Loss (and accuracy) on the whole training and test sets, in eval mode (once a
        step: measured at this step already, nothing to add)."""
        m = self.metrics
        if m.eval_steps and m.eval_steps[-1] == self.step_count:
            return
        self.model.eval()
        try:
            with torch.no_grad():
                train = self._loss_and_accuracy(self.X_train, self.y_train)
                test = self._loss_and_accuracy(self.X_test, self.y_test)
        finally:
            self.model.train()
        m.eval_steps.append(self.step_count)
        m.train_loss.append(train[0])
        m.test_loss.append(test[0])
        m.train_accuracy.append(train[1])
        m.test_accuracy.append(test[1])

    def extent(
        self, margin: float = 0.15, aspect: float = 1.0
    ) -> tuple[float, float, float, float]:
        """The plane the pictures cover: the data with `margin` of its wider side's span
        around it, x and y drawn to one scale (as Playground draws them: a circle stays
        round), grown along its shorter side to `aspect`, width over height — the shape of the
        view it fills, so that no strip of that view is left empty. At 1, a square."""
        low, high = self.points.min(0).values, self.points.max(0).values
        centre = (low + high) / 2
        spans = (high - low).tolist()
        pad = max(spans) * margin
        half_x, half_y = (spans[0] / 2 + pad, spans[1] / 2 + pad) if max(spans) > 0 else (1, 1)
        aspect = min(MAX_ASPECT, max(1 / MAX_ASPECT, aspect))
        half_x, half_y = max(half_x, half_y * aspect), max(half_y, half_x / aspect)
        cx, cy = float(centre[0]), float(centre[1])
        return (cx - half_x, cx + half_x, cy - half_y, cy + half_y)

    def predict_grid(
        self, resolution: int = 96, aspect: float = 1.0
    ) -> tuple[torch.Tensor, tuple[float, ...]]:
        """The network's output over the data's window (rows are y; `resolution` points along
        its shorter side, as many to the same scale along the longer): P(class 1) for a
        classifier, the predicted value for regression."""
        x0, x1, y0, y1 = self.extent(aspect=aspect)
        device = self.X_train.device
        short = min(x1 - x0, y1 - y0)
        xs = torch.linspace(x0, x1, round(resolution * (x1 - x0) / short), device=device)
        ys = torch.linspace(y0, y1, round(resolution * (y1 - y0) / short), device=device)
        gy, gx = torch.meshgrid(ys, xs, indexing="ij")
        columns = [FEATURE_FUNCTIONS[f](gx.reshape(-1), gy.reshape(-1)) for f in self.spec.features]
        self.model.eval()
        try:
            with torch.no_grad():
                out = self.model(torch.stack(columns, dim=1))
        finally:
            self.model.train()
        if self.spec.loss == "cross_entropy":
            values = out.softmax(1)[:, 1]
        elif self.spec.loss == "bce":
            values = out[:, 0].sigmoid()
        else:
            values = out[:, 0]
        return values.reshape(len(ys), len(xs)).cpu(), (x0, x1, y0, y1)

    def neuron_grids(self, resolution: int = 24) -> dict[str, torch.Tensor]:
        """Each hidden neuron's output over the window (Playground's thumbnails): layer → units
        × resolution × resolution, taken after each layer's activation."""
        x0, x1, y0, y1 = self.extent()
        device = self.X_train.device
        xs = torch.linspace(x0, x1, resolution, device=device)
        ys = torch.linspace(y0, y1, resolution, device=device)
        gy, gx = torch.meshgrid(ys, xs, indexing="ij")
        h = torch.stack(
            [FEATURE_FUNCTIONS[f](gx.reshape(-1), gy.reshape(-1)) for f in self.spec.features], 1
        )
        return {
            name: out.T.reshape(-1, resolution, resolution).cpu()
            for name, out in self._hidden_outputs(h).items()
        }

    def dead_units(self) -> dict[str, torch.Tensor]:
        """Layer → one flag per hidden unit: it outputs exactly 0 for every training point (a
        dead ReLU: no gradient reaches its weights through it, so it has stopped learning)."""
        return {
            name: (out == 0).all(dim=0).cpu()
            for name, out in self._hidden_outputs(self.X_train).items()
        }

    def _hidden_outputs(self, h: torch.Tensor) -> dict[str, torch.Tensor]:
        """Each hidden layer's output (points × units, after its activation) for inputs `h`,
        by the path of its nn.Linear (`model.0`), with dropout off."""
        outputs: dict[str, torch.Tensor] = {}
        self.model.eval()
        try:
            with torch.no_grad():
                modules = list(self.model.children())
                name = None
                for index, module in enumerate(modules):
                    h = module(h)
                    if isinstance(module, nn.Linear):
                        name = f"model.{index}"
                    next_is_linear = index + 1 >= len(modules) or isinstance(
                        modules[index + 1], nn.Linear
                    )
                    if name is not None and next_is_linear and index + 1 < len(modules):
                        outputs[name] = h
        finally:
            self.model.train()
        return outputs


class ModelLoss:
    """params → loss over (X, y), by torch.func.functional_call: vmappable for landscapes.
    Call it with the model in eval mode (dropout off)."""

    def __init__(
        self, model: nn.Module, loss_fn: nn.Module, X: torch.Tensor, y: torch.Tensor
    ) -> None:
        self.model, self.loss_fn, self.X, self.y = model, loss_fn, X, y
        widths = [m.out_features for m in model.modules() if isinstance(m, nn.Linear)]
        row = X.shape[0] * X.element_size()
        self.activation_bytes = row * sum(widths) * 3  # of one evaluation
        self.largest_bytes = row * max(widths, default=1)  # its largest intermediate

    @classmethod
    def measured(
        cls, model: nn.Module, loss_fn: Any, X: torch.Tensor, y: torch.Tensor
    ) -> ModelLoss:
        """For any model (not only Linear layers): its intermediate sizes measured by running
        it once on X (the output of each layer with weights, as the Linear widths count),
        which size the landscape's chunks."""
        found = cls(model, loss_fn, X, y)
        sizes: list[int] = []

        def seen(module: nn.Module, args: Any, out: Any) -> None:
            if isinstance(out, torch.Tensor):
                sizes.append(out.numel() * out.element_size())

        leaves = [m for m in model.modules() if list(m.parameters(recurse=False))]
        handles = [m.register_forward_hook(seen) for m in leaves]
        try:
            with torch.no_grad():
                model(X)
        finally:
            for handle in handles:
                handle.remove()
        found.activation_bytes = 3 * sum(sizes)
        found.largest_bytes = max(sizes, default=found.largest_bytes)
        return found

    def __call__(self, params: dict[str, torch.Tensor]) -> torch.Tensor:
        from torch.func import functional_call

        plain = {k.removeprefix("model."): v for k, v in params.items()}
        out: torch.Tensor = self.loss_fn(functional_call(self.model, plain, (self.X,)), self.y)
        return out

    def batched(self, values: dict[str, Any], memo: dict[str, Any] | None = None) -> torch.Tensor:
        """The loss at each of a chunk of weight settings (the landscape's batched path; it
        falls back to vmap where this raises Unbatchable)."""
        from gradviz.nets.model_batched import batched_model_loss

        return batched_model_loss(self.model, self.loss_fn, self.X, self.y, values, memo)


def state_of(trainer: Trainer) -> dict[str, Any]:
    """The weights now (module path → tensor copy): checkpoints for the PCA landscape."""
    return {f"model.{k}": v.detach().clone() for k, v in trainer.model.named_parameters()}
