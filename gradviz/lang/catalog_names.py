"""The names the whitelist is made of: torch functions, dtypes, F, nn modules, nn.utils,
optimizers and the bare maths functions (catalog.py makes the namespaces from them)."""

from __future__ import annotations

# torch.* functions a deep-learning course uses (each is the real torch function).
TORCH_FUNCTIONS = (
    # creation
    "tensor as_tensor zeros ones full empty rand randn randint zeros_like ones_like full_like "
    "empty_like rand_like randn_like randperm arange linspace logspace eye "
    # arithmetic and pointwise maths
    "add sub mul div pow neg abs exp exp2 expm1 log log2 log10 log1p sqrt rsqrt square sin cos tan "
    "asin acos atan atan2 sinh cosh tanh sigmoid relu erf sign floor ceil round trunc frac "
    "reciprocal clamp clip maximum minimum fmod remainder lerp hypot "
    # linear algebra
    "matmul mm mv bmm dot outer einsum addmm baddbmm tril triu diag trace kron cross "
    # the older names of torch.linalg's (tutorials write torch.inverse(A), torch.det(A))
    "inverse det logdet slogdet pinverse svd "
    # reductions
    "sum mean std var prod max min amax amin argmax argmin logsumexp norm cumsum cumprod "
    "median mode all any count_nonzero dist "
    # shapes and views
    "reshape flatten squeeze unsqueeze transpose permute t cat concat stack hstack vstack "
    "split chunk unbind gather index_select masked_select narrow flip roll repeat_interleave "
    "broadcast_to tile movedim where sort argsort topk nonzero "
    # comparisons and masks
    "eq ne gt ge lt le isnan isinf isfinite allclose equal logical_and logical_or logical_not "
    "softmax log_softmax "
    "isclose logical_xor clamp_min clamp_max scatter scatter_add diag_embed cummax cummin "
    "std_mean var_mean searchsorted bucketize unique diff cdist meshgrid "
    # randomness and autograd control
    "bernoulli multinomial normal "
    # written by hand: Adam's moments, entropies, stable log-sums, contractions
    "addcmul addcdiv logaddexp xlogy logit nan_to_num nansum nanmean heaviside lgamma digamma "
    "erfc erfinv tensordot inner vdot take_along_dim aminmax fmax fmin trapezoid clone detach "
    "ravel atleast_1d atleast_2d swapaxes select column_stack dstack "
    "manual_seed no_grad enable_grad inference_mode set_grad_enabled is_grad_enabled is_tensor "
    "numel get_default_dtype is_floating_point finfo iinfo cosine_similarity rot90 sinc"
).split()

DTYPES = [
    "float32",
    "float",
    "float64",
    "double",
    "float16",
    "half",
    "bfloat16",
    "int64",
    "long",
    "int32",
    "int",
    "int16",
    "int8",
    "uint8",
    "bool",
]

FUNCTIONAL = [
    "threshold",
    "tanhshrink",
    "gumbel_softmax",
    "relu",
    "relu6",
    "leaky_relu",
    "elu",
    "selu",
    "celu",
    "gelu",
    "silu",
    "mish",
    "softplus",
    "softsign",
    "hardtanh",
    "hardswish",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
    "softmin",
    "logsigmoid",
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "cross_entropy",
    "nll_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "kl_div",
    "cosine_similarity",
    "pairwise_distance",
    "linear",
    "bilinear",
    "conv1d",
    "conv2d",
    "conv_transpose2d",
    "max_pool1d",
    "max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool2d",
    "dropout",
    "layer_norm",
    "batch_norm",
    "group_norm",
    "normalize",
    "embedding",
    "one_hot",
    "pad",
    "scaled_dot_product_attention",
    "interpolate",
    "dropout1d",
    "dropout2d",
    "adaptive_avg_pool1d",
    "prelu",
    "glu",
    "hardsigmoid",
    "margin_ranking_loss",
    "triplet_margin_loss",
    "gaussian_nll_loss",
    "poisson_nll_loss",
]

NN_MODULES = [
    "Linear",
    "Bilinear",
    "Conv1d",
    "Conv2d",
    "ConvTranspose2d",
    "MaxPool1d",
    "MaxPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "Flatten",
    "Unflatten",
    "Identity",
    "Sequential",
    "ModuleList",
    "ModuleDict",
    "ParameterList",
    "ParameterDict",
    "ReLU",
    "ReLU6",
    "LeakyReLU",
    "ELU",
    "SELU",
    "GELU",
    "SiLU",
    "Mish",
    "Softplus",
    "Tanh",
    "Sigmoid",
    "Hardtanh",
    "Softmax",
    "LogSoftmax",
    "Dropout",
    "BatchNorm1d",
    "BatchNorm2d",
    "LayerNorm",
    "GroupNorm",
    "Embedding",
    "MultiheadAttention",
    "TransformerEncoderLayer",
    "TransformerEncoder",
    "RNN",
    "GRU",
    "LSTM",
    "MSELoss",
    "L1Loss",
    "SmoothL1Loss",
    "HuberLoss",
    "CrossEntropyLoss",
    "NLLLoss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "KLDivLoss",
    "CosineSimilarity",
    "RNNCell",
    "GRUCell",
    "LSTMCell",
    "PReLU",
    "Dropout1d",
    "Dropout2d",
    "Upsample",
    "AdaptiveAvgPool1d",
    "AdaptiveMaxPool2d",
    "ConvTranspose1d",
    "Softmin",
    "LogSigmoid",
    "Hardswish",
    "Hardsigmoid",
    "Softsign",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "ZeroPad2d",
    "TransformerDecoderLayer",
    "TransformerDecoder",
    "Transformer",
    "MarginRankingLoss",
    "TripletMarginLoss",
    "PoissonNLLLoss",
    "GaussianNLLLoss",
    # d2l's concise implementations: the input size is read off the first batch
    "LazyLinear",
    "LazyConv1d",
    "LazyConv2d",
    "LazyBatchNorm1d",
    "LazyBatchNorm2d",
]

# torch.linalg: norms, and the solves and factorisations a lecture compares gradient descent
# with (least squares in closed form; each is refused past the work limit, gradviz.lang.work)
LINALG = (
    "norm vector_norm matrix_norm solve inv det slogdet lstsq pinv svd svdvals eigh eigvalsh "
    "qr cholesky cross vecdot multi_dot matrix_power"
).split()

# torch.nn.utils: what a training loop uses (gradient clipping, flattening the parameters)
NN_UTILS = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]

# torch.optim's optimizers (LBFGS's step takes a closure: a function the program defines).
OPTIMIZERS = [
    "SGD",
    "Adam",
    "AdamW",
    "Adamax",
    "Adagrad",
    "Adadelta",
    "RMSprop",
    "NAdam",
    "RAdam",
    "ASGD",
    "Rprop",
    "LBFGS",
]

# The lecture writes f(x, y) = xy + exp(xy): these maths functions may be used without `torch.`.
BARE_MATH = ["exp", "log", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "sqrt", "abs"]
