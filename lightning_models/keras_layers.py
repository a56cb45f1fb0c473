"""Torch layers that behave like the Keras 3 layers the documents use (docs/keras-vs-torch.md sections 1-5, 7).

Each class is the stock torch layer with Keras' defaults: initialisers, BatchNorm momentum/epsilon
and biased moving variance, regularisers attached to the layer, and channels-last flattening.
Weights keep torch's layouts; every weight layer also reads and writes them in Keras' layout
(:class:`KerasWeights`: ``layer.get_weights()`` / ``layer.set_weights()``, as Keras' layers).

Layout choice of this project: CNNs take channels-last images ``(N, H, W, C)`` like Keras, so
both frameworks read the very same arrays; :class:`ChannelsFirst` permutes them for
``nn.Conv2d`` and :class:`Flatten` flattens in Keras' ``(H, W, C)`` order, so a Dense kernel
after a Flatten transfers as a plain transpose.
"""

from __future__ import annotations

import math
from typing import Callable, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# --------------------------------------------------------------------------------------------
# Activations by Keras name (keras.activations; seed 001's table of activation functions)
# --------------------------------------------------------------------------------------------
def linear(x: torch.Tensor) -> torch.Tensor:
    return x


def softmax(x: torch.Tensor) -> torch.Tensor:
    return torch.softmax(x, dim=-1)


def leaky_relu(x: torch.Tensor) -> torch.Tensor:
    """Keras' ``'leaky_relu'``: ``negative_slope=0.2`` (seed 001's table draws ``max(0.1x, x)``)."""
    return F.leaky_relu(x, negative_slope=0.2)


ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "linear": linear, "relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
    "softmax": softmax,
    # the rest of seed 001's table, with Keras' definitions and defaults
    "softplus": F.softplus,      # ln(1 + e^x)
    "softsign": F.softsign,      # x / (1 + |x|)
    "elu": F.elu,                # alpha = 1.0
    "log_sigmoid": F.logsigmoid,  # ln(1 / (1 + e^-x))
    "silu": F.silu,              # x * sigmoid(x)
    "swish": F.silu,             # Keras' other name of silu
    "leaky_relu": leaky_relu,
    "mish": F.mish,              # x * tanh(softplus(x))
}

#: Seed 001's table also draws these two, which Keras has no activation for.
NOT_KERAS_ACTIVATIONS = {"step": "the step function", "sinc": "sinc(x) = sin(x)/x"}


def get_activation(name: Optional[str]) -> Callable[[torch.Tensor], torch.Tensor]:
    """The function of a Keras activation name (``None`` is ``'linear'``, as in Keras)."""
    name = name or "linear"
    try:
        return ACTIVATIONS[name]
    except KeyError:
        if name in NOT_KERAS_ACTIVATIONS:
            raise ValueError(f"{NOT_KERAS_ACTIVATIONS[name]} is not a Keras activation (seed "
                             f"001's table draws it, keras.activations has no {name!r}); use one "
                             f"of {sorted(ACTIVATIONS)}") from None
        raise ValueError(f"unknown activation {name!r}; use one of {sorted(ACTIVATIONS)}") from None


# --------------------------------------------------------------------------------------------
# Regularisers (docs/keras-vs-torch.md section 7): Keras adds these penalties to loss AND val_loss
# --------------------------------------------------------------------------------------------
class Regularizer:
    """``l1 * sum|w| + l2 * sum(w^2)`` (no 1/2), as ``keras.regularizers.L1L2``."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        penalty = w.new_zeros(())
        if self.l1:
            penalty = penalty + self.l1 * w.abs().sum()
        if self.l2:
            penalty = penalty + self.l2 * w.square().sum()
        return penalty

    def __repr__(self) -> str:
        return f"Regularizer(l1={self.l1}, l2={self.l2})"


RegularizerSpec = Union[None, str, dict, Regularizer]


def get_regularizer(spec: RegularizerSpec) -> Optional[Regularizer]:
    """Keras identifiers: ``'l1'`` / ``'l2'`` (factor 0.01), ``'l1l2'`` (0, 0, as Keras 3),
    a dict such as ``{'l2': 0.001}`` or ``{'l1': 0.01, 'l2': 0.01}``, or a :class:`Regularizer`.
    ``'l1_l2'`` is rejected exactly like Keras 3 does (docs/keras-vs-torch.md sections 7, 12)."""
    if spec is None or isinstance(spec, Regularizer):
        return spec
    if isinstance(spec, str):
        table = {"l1": Regularizer(l1=0.01), "l2": Regularizer(l2=0.01), "l1l2": Regularizer()}
        if spec not in table:
            raise ValueError(f"Could not interpret regularizer identifier: {spec!r} "
                             "(Keras 3 knows 'l1', 'l2', 'l1l2'; for l1_l2 pass {'l1': .., 'l2': ..})")
        return table[spec]
    if isinstance(spec, dict) and set(spec) <= {"l1", "l2"}:
        flags = [k for k, v in spec.items() if isinstance(v, bool)]
        if flags:  # l2=True would be a factor of 1.0, 100 times Keras' 'l2'
            raise ValueError(f"{flags[0]} is a penalty factor, not a flag: use 0.01 for Keras' "
                             f"'{flags[0]}' and 0.0 for none")
        return Regularizer(**spec)
    raise ValueError(f"Could not interpret regularizer {spec!r}")


class Regularized:
    """Mixin: a layer whose kernel/bias carry Keras regularisers; see :func:`penalty`."""

    kernel_regularizer: Optional[Regularizer] = None
    bias_regularizer: Optional[Regularizer] = None

    def set_regularizers(self, kernel: RegularizerSpec, bias: RegularizerSpec) -> None:
        self.kernel_regularizer = get_regularizer(kernel)
        self.bias_regularizer = get_regularizer(bias)

    def penalty(self) -> torch.Tensor:
        total = self.weight.new_zeros(())
        if self.kernel_regularizer is not None:
            total = total + self.kernel_regularizer(self.weight)
        if self.bias_regularizer is not None and self.bias is not None:
            total = total + self.bias_regularizer(self.bias)
        return total

    @property
    def has_penalty(self) -> bool:
        return self.kernel_regularizer is not None or self.bias_regularizer is not None


# --------------------------------------------------------------------------------------------
# Keras' weight layout (issue 12): layer.get_weights() / layer.set_weights()
# --------------------------------------------------------------------------------------------
class KerasWeights:
    """Mixin: Keras' ``layer.get_weights()`` / ``layer.set_weights(weights)``, in Keras' layout.

    ``keras_weight_names`` are the torch tensors in the order of Keras' ``layer.weights``;
    ``keras_kernel_axes`` permutes the torch ``weight`` into Keras' kernel (docs/keras-vs-torch.md
    sections 1-5): Dense ``(out, in) -> (in, out)``, Conv1D ``(out, in, k) -> (k, in, out)``,
    Conv2D ``(out, in, kh, kw) -> (kh, kw, in, out)``. Seed 004's ``W1, b1 =
    capaOculto.get_weights()`` gives here the same arrays as in Keras.
    """

    keras_weight_names: tuple[str, ...] = ("weight", "bias")
    keras_kernel_axes: Optional[tuple[int, ...]] = None  # None: Keras' layout is torch's

    def keras_tensors(self) -> list[tuple[str, torch.Tensor]]:
        """``(torch name, tensor)`` in Keras' order (a layer without bias has no bias)."""
        return [(name, getattr(self, name)) for name in self.keras_weight_names
                if getattr(self, name, None) is not None]

    def _to_keras(self, name: str, tensor: torch.Tensor) -> torch.Tensor:
        if name == "weight" and self.keras_kernel_axes is not None:
            return tensor.permute(*self.keras_kernel_axes)
        return tensor

    def _from_keras(self, name: str, tensor: torch.Tensor) -> torch.Tensor:
        if name == "weight" and self.keras_kernel_axes is not None:
            return tensor.permute(*np.argsort(self.keras_kernel_axes).tolist())
        return tensor

    def get_weights(self) -> list[np.ndarray]:
        """Keras' ``layer.get_weights()``: NumPy copies, kernels in Keras' layout."""
        return [self._to_keras(name, t.detach()).cpu().numpy().copy()
                for name, t in self.keras_tensors()]

    def set_weights(self, weights: Sequence[np.ndarray], layer_name: Optional[str] = None) -> None:
        """Keras' ``layer.set_weights(weights)``: arrays in Keras' layout and order, all checked
        before any is copied (a wrong list leaves the layer as it was)."""
        name = layer_name or type(self).__name__
        tensors = self.keras_tensors()
        if len(weights) != len(tensors):
            raise ValueError(f"You called `set_weights(weights)` on layer '{name}' with a weight "
                             f"list of length {len(weights)}, but the layer was expecting "
                             f"{len(tensors)} weights.")
        converted = []
        for (key, tensor), value in zip(tensors, weights):
            value = torch.as_tensor(np.asarray(value), dtype=tensor.dtype)
            expected = tuple(self._to_keras(key, tensor).shape)
            if tuple(value.shape) != expected:
                raise ValueError(f"Layer '{name}' weight shape {expected} is not compatible with "
                                 f"provided weight shape {tuple(value.shape)}.")
            converted.append((tensor, self._from_keras(key, value)))
        with torch.no_grad():
            for tensor, value in converted:
                tensor.copy_(value)


# --------------------------------------------------------------------------------------------
# Layers
# --------------------------------------------------------------------------------------------
class Dense(KerasWeights, Regularized, nn.Linear):
    """``keras.layers.Dense``: glorot-uniform kernel, zero bias, optional activation/regularisers.

    A network's output Dense is built without activation: the model returns logits and applies
    its ``output_activation`` in ``predict`` (and inside the loss, as Keras does; docs/keras-vs-torch.md s.8).
    """

    keras_kernel_axes = (1, 0)  # torch (out, in) -> Keras (in, out)

    def __init__(self, in_features: int, units: int, activation: Optional[str] = None,
                 use_bias: bool = True, kernel_regularizer: RegularizerSpec = None,
                 bias_regularizer: RegularizerSpec = None):
        super().__init__(in_features, units, bias=use_bias)
        self.activation_name = activation or "linear"
        self.activation = get_activation(activation)
        self.set_regularizers(kernel_regularizer, bias_regularizer)

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.weight)  # == keras glorot_uniform on the transposed kernel
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.activation(super().forward(x))

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, activation={self.activation_name}"


class Conv2D(KerasWeights, Regularized, nn.Conv2d):
    """``keras.layers.Conv2D`` (padding 'valid', glorot-uniform kernel, zero bias) on NCHW."""

    keras_kernel_axes = (2, 3, 1, 0)  # torch (out, in, kh, kw) -> Keras (kh, kw, in, out)

    def __init__(self, in_channels: int, filters: int, kernel_size=3, strides=1,
                 activation: Optional[str] = None, kernel_regularizer: RegularizerSpec = None,
                 bias_regularizer: RegularizerSpec = None):
        super().__init__(in_channels, filters, kernel_size, stride=strides, padding=0)
        self.activation_name = activation or "linear"
        self.activation = get_activation(activation)
        self.set_regularizers(kernel_regularizer, bias_regularizer)

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.weight)  # fans identical to Keras' (in*kh*kw, out*kh*kw)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.activation(super().forward(x))


class Conv1D(KerasWeights, Regularized, nn.Conv1d):
    """``keras.layers.Conv1D(filters, kernel_size, strides, padding, activation)`` (seed 000's
    guide, chapter 3.2) on channels-last sequences, as Keras: ``(N, steps, channels) -> (N,
    new_steps, filters)``; glorot-uniform kernel, zero bias, kernel ``(k, in, filters)`` in Keras.

    ``padding`` is how the borders are treated (the guide's "como se tratan las convoluciones en
    los bordes"): ``'valid'`` (none, Keras' default), ``'same'`` (``ceil(steps / strides)``
    outputs, padded as TensorFlow pads: the odd zero goes at the end) or ``'causal'`` (``k - 1``
    zeros in front, so an output never sees later steps).
    """

    keras_kernel_axes = (2, 1, 0)  # torch (out, in, k) -> Keras (k, in, out)

    def __init__(self, in_channels: int, filters: int, kernel_size: int = 3, strides: int = 1,
                 padding: str = "valid", activation: Optional[str] = None,
                 kernel_regularizer: RegularizerSpec = None, bias_regularizer: RegularizerSpec = None):
        if padding not in ("valid", "same", "causal"):
            raise ValueError(f"padding must be 'valid', 'same' or 'causal', got {padding!r}")
        super().__init__(in_channels, filters, kernel_size, stride=strides, padding=0)
        self.keras_padding = padding
        self.activation_name = activation or "linear"
        self.activation = get_activation(activation)
        self.set_regularizers(kernel_regularizer, bias_regularizer)

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.weight)  # fans identical to Keras' (k*in, k*out)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def _pads(self, steps: int) -> tuple[int, int]:
        (k,), (s,) = self.kernel_size, self.stride
        if self.keras_padding == "causal":
            return k - 1, 0
        if self.keras_padding == "same":
            total = max((math.ceil(steps / s) - 1) * s + k - steps, 0)
            return total // 2, total - total // 2
        return 0, 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3:
            raise ValueError(f"Conv1D takes (N, steps, channels) inputs, got {tuple(x.shape)}")
        x = F.pad(x.transpose(1, 2), self._pads(x.shape[1]))  # to (N, channels, steps)
        return self.activation(super().forward(x)).transpose(1, 2)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, padding={self.keras_padding!r}, activation={self.activation_name}"


class Embedding(KerasWeights, nn.Embedding):
    """``keras.layers.Embedding``: U(-0.05, 0.05) init, dense gradients, no padding row.

    Keras' gradient of an embedding is sparse (``tf.IndexedSlices``: one row per lookup, a row
    looked up twice in a batch appears twice), and Keras' Adam and RMSprop square it as it is:
    their second moment takes the SUM OF THE SQUARES of each lookup's gradient, where a dense
    gradient gives the square of their sum (found by tests/test_trajectory_parity.py: 2.4e-4 on
    the sentiment network's losses after 12 steps). So, when a Keras optimiser asks for it
    (:data:`LOOKUP_SQUARES`, set by :class:`~lightning_models.keras_optim.KerasAdam` and
    ``KerasRMSprop``), a hook on the output adds those per-lookup squares to the weight's
    ``keras_lookup_squares`` during backward in training mode; the optimiser uses them instead of
    ``g * g`` and clears them at its step and in ``zero_grad``. Not with a loss scaler (16-bit
    mixed precision on CUDA): the recorded squares would keep the scale.
    """

    keras_weight_names = ("weight",)  # Keras' embeddings, same (input_dim, output_dim) layout

    def __init__(self, input_dim: int, output_dim: int):
        super().__init__(input_dim, output_dim)

    def reset_parameters(self) -> None:
        nn.init.uniform_(self.weight, -0.05, 0.05)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ids = x.long()
        out = super().forward(ids)
        if self.training and out.requires_grad and hasattr(self.weight, LOOKUP_SQUARES):
            out.register_hook(lambda grad: self._add_lookup_squares(ids, grad))
        return out

    def _add_lookup_squares(self, ids: torch.Tensor, grad: torch.Tensor) -> None:
        squares = torch.zeros_like(self.weight).index_add_(
            0, ids.reshape(-1), grad.reshape(-1, grad.shape[-1]).square())
        previous = getattr(self.weight, LOOKUP_SQUARES)
        setattr(self.weight, LOOKUP_SQUARES, squares if previous is None else previous + squares)


#: The attribute of an Embedding's weight holding its gradient's per-lookup squares (Embedding).
LOOKUP_SQUARES = "keras_lookup_squares"


class BatchNormalization(KerasWeights, nn.Module):
    """``keras.layers.BatchNormalization`` (momentum 0.99, epsilon 1e-3) over dim 1.

    Differs from ``nn.BatchNorm*d`` in the moving variance, which Keras updates with the
    BIASED batch variance (docs/keras-vs-torch.md section 5). Keras counts ``moving_mean`` and
    ``moving_variance`` as non-trainable parameters; here they are buffers, so Keras'
    ``count_params()`` is this layer's parameter count + 2 * features.
    """

    #: Keras' order: gamma, beta, moving_mean, moving_variance
    keras_weight_names = ("weight", "bias", "moving_mean", "moving_variance")

    def __init__(self, num_features: int, momentum: float = 0.99, epsilon: float = 1e-3):
        super().__init__()
        self.momentum, self.epsilon = momentum, epsilon
        self.weight = nn.Parameter(torch.ones(num_features))   # gamma
        self.bias = nn.Parameter(torch.zeros(num_features))    # beta
        self.register_buffer("moving_mean", torch.zeros(num_features))
        self.register_buffer("moving_variance", torch.ones(num_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() not in (2, 4):  # Keras normalises the LAST axis; here dim 1 of (N, C) / NCHW
            raise ValueError(f"BatchNormalization takes (N, C) or (N, C, H, W) inputs, got {tuple(x.shape)}")
        if self.training:
            dims = [0] + list(range(2, x.dim()))
            mean = x.mean(dims)
            var = x.var(dims, unbiased=False)
            with torch.no_grad():
                self.moving_mean.mul_(self.momentum).add_(mean.detach(), alpha=1 - self.momentum)
                self.moving_variance.mul_(self.momentum).add_(var.detach(), alpha=1 - self.momentum)
        else:
            mean, var = self.moving_mean, self.moving_variance
        shape = [1, -1] + [1] * (x.dim() - 2)
        inv = torch.rsqrt(var + self.epsilon) * self.weight
        return (x - mean.view(shape)) * inv.view(shape) + self.bias.view(shape)


class ChannelsFirst(nn.Module):
    """Keras images are ``(N, H, W, C)``; ``nn.Conv2d`` wants ``(N, C, H, W)``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(0, 3, 1, 2)


class Flatten(nn.Module):
    """``keras.layers.Flatten``: flattens in channels-last order, ``(H, W, C)`` for images.

    A 4-D input is taken to be NCHW (the output of a conv stack) and permuted to NHWC first, so
    the next Dense sees features in exactly Keras' order.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 4:
            x = x.permute(0, 2, 3, 1)
        return x.reshape(x.shape[0], -1)


class MaxPooling2D(nn.MaxPool2d):
    """``keras.layers.MaxPooling2D(pool_size, strides, padding='valid')`` on NCHW."""

    def __init__(self, pool_size=2, strides=None):
        super().__init__(kernel_size=pool_size, stride=strides)


Dropout = nn.Dropout  # same inverted-dropout semantics as keras.layers.Dropout(rate)


class Activation(nn.Module):
    """``keras.layers.Activation(name)``."""

    def __init__(self, activation: str):
        super().__init__()
        self.activation_name = activation
        self.activation = get_activation(activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.activation(x)

    def extra_repr(self) -> str:
        return self.activation_name


def regularized_layers(module: nn.Module) -> list:
    """The sub-layers of ``module`` that carry a Keras regulariser."""
    return [m for m in module.modules() if isinstance(m, Regularized) and m.has_penalty]


def keras_param_count(module: nn.Module) -> int:
    """What Keras' ``count_params()`` reports: torch parameters + BatchNorm moving statistics."""
    params = sum(p.numel() for p in module.parameters())
    moving = sum(2 * m.weight.numel() for m in module.modules() if isinstance(m, BatchNormalization))
    return params + moving
