"""What the network builder builds, as plain data: data, features, layers, loss, optimizer."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

ACTIVATIONS = {  # builder name → torch.nn module (None: a purely linear layer)
    "relu": "ReLU",
    "tanh": "Tanh",
    "sigmoid": "Sigmoid",
    "gelu": "GELU",
    "leaky_relu": "LeakyReLU",
    "none": None,
}
# Playground's input features: builder name → the expression over the columns x and y
FEATURES = {
    "x": "x",
    "y": "y",
    "x²": "x * x",
    "y²": "y * y",
    "xy": "x * y",
    "sin x": "torch.sin(x)",
    "sin y": "torch.sin(y)",
}
CLASSIFICATION = ("circles", "xor", "gaussians", "spiral", "moons")
REGRESSION = ("plane", "sine")
DATASETS = (*CLASSIFICATION, *REGRESSION, "csv")
LOSSES = {  # builder name → torch.nn module
    "mse": "MSELoss",
    "bce": "BCEWithLogitsLoss",
    "cross_entropy": "CrossEntropyLoss",
}
MAX_WIDTH = 256
MAX_LAYERS = 8
MAX_SAMPLES = 5000


class NetworkSpecError(ValueError):
    """A setting out of range, with a message for the user."""


@dataclass(frozen=True)
class Layer:
    width: int
    activation: str = "tanh"


@dataclass(frozen=True)
class Data:
    name: str = "circles"
    samples: int = 200
    noise: float = 0.1
    test_fraction: float = 0.2
    csv_rows: tuple[tuple[float, float, float], ...] = ()  # x, y, target: for "csv"

    @property
    def regression(self) -> bool:
        if self.name == "csv":
            targets = {row[2] for row in self.csv_rows}
            return not targets <= {0.0, 1.0}
        return self.name in REGRESSION


@dataclass(frozen=True)
class NetworkSpec:
    data: Data = field(default_factory=Data)
    features: tuple[str, ...] = ("x", "y")
    layers: tuple[Layer, ...] = (Layer(8), Layer(8))
    dropout: float = 0.0
    loss: str = "bce"
    optimizer: str = "adam:lr=0.03"  # an optimizer-lab spec
    weight_decay: float = 0.0
    batch_size: int = 16
    seed: int = 0
    device: str = "cpu"

    def with_(self, **changes: object) -> NetworkSpec:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def outputs(self) -> int:
        return 2 if self.loss == "cross_entropy" else 1

    def check(self) -> NetworkSpec:
        """The spec itself, or NetworkSpecError naming the first absurd setting."""
        data = self.data
        if data.name not in DATASETS:
            raise NetworkSpecError(f"unknown dataset {data.name!r}; choose from {DATASETS}")
        if data.name == "csv" and not data.csv_rows:
            raise NetworkSpecError("open a CSV file for the csv dataset")
        if data.name != "csv" and not 10 <= data.samples <= MAX_SAMPLES:
            raise NetworkSpecError(f"samples must be between 10 and {MAX_SAMPLES}")
        if not 0 <= data.noise <= 2:
            raise NetworkSpecError("noise must be between 0 and 2")
        if not 0 <= data.test_fraction <= 0.9:
            raise NetworkSpecError("the test fraction must be between 0 and 0.9")
        if not self.features:
            raise NetworkSpecError("choose at least one input feature")
        unknown = [f for f in self.features if f not in FEATURES]
        if unknown:
            raise NetworkSpecError(f"unknown feature {unknown[0]!r}; choose from {list(FEATURES)}")
        if len(self.layers) > MAX_LAYERS:
            raise NetworkSpecError(f"at most {MAX_LAYERS} hidden layers")
        for index, layer in enumerate(self.layers, 1):
            if not 1 <= layer.width <= MAX_WIDTH:
                raise NetworkSpecError(f"layer {index}: width must be between 1 and {MAX_WIDTH}")
            if layer.activation not in ACTIVATIONS:
                raise NetworkSpecError(
                    f"layer {index}: unknown activation {layer.activation!r}; "
                    f"choose from {', '.join(ACTIVATIONS)}"
                )
        if not 0 <= self.dropout < 1:
            raise NetworkSpecError("dropout must be at least 0 and below 1")
        if self.loss not in LOSSES:
            raise NetworkSpecError(f"unknown loss {self.loss!r}; choose from {', '.join(LOSSES)}")
        if data.regression and self.loss != "mse":
            raise NetworkSpecError("a regression dataset needs the MSE loss")
        if not 1 <= self.batch_size <= MAX_SAMPLES:
            raise NetworkSpecError(f"the batch size must be between 1 and {MAX_SAMPLES}")
        if not 0 <= self.weight_decay <= 1:
            raise NetworkSpecError("weight decay must be between 0 and 1")
        if not 0 <= self.seed < 2**31:
            raise NetworkSpecError("the seed must be between 0 and 2³¹ − 1")
        if self.device not in ("cpu", "cuda"):
            raise NetworkSpecError("the device is cpu or cuda")
        from gradviz.optim.registry import SpecError, parse_spec

        try:
            chosen = parse_spec(self.optimizer)
        except SpecError as exc:
            raise NetworkSpecError(str(exc)) from None
        if chosen.kind.name == "lbfgs":
            raise NetworkSpecError("L-BFGS needs a closure; choose another optimizer")
        if "weight_decay" in dict(chosen.chosen):
            raise NetworkSpecError("set weight decay in its own field, not in the optimizer")
        if self.weight_decay and "weight_decay" not in chosen.kind.defaults():
            raise NetworkSpecError(f"{chosen.kind.title} has no weight decay")
        return self
