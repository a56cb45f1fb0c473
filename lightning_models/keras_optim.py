"""Optimisers by Keras name with Keras 3's defaults and update rules (docs/keras-vs-torch.md section 6).

- ``'sgd'``: ``torch.optim.SGD`` is exact for a constant learning rate once its defaults are
  Keras' (lr 0.01, momentum 0); used as is.
- ``'adam'`` and ``'rmsprop'``: torch puts epsilon elsewhere (Adam: on the bias-corrected
  sqrt(v); RMSprop: outside the square root), which changes the updates whenever gradients are
  small. There is no torch option for Keras' placement, so :class:`KerasAdam` and
  :class:`KerasRMSprop` are written here, with the same ``_foreach`` kernels torch uses.
  :class:`KerasAdam` runs torch's own fused Adam kernel where it can (CPU, CUDA): Keras' update
  IS torch's with epsilon rescaled each step, ``eps_t = eps / sqrt(1 - beta_2^t)``, and one fused
  pass over the weights costs less than six ``_foreach`` passes (README, "Speed").
"""

from __future__ import annotations

import math
import struct
from typing import Iterable, Optional

import torch
from torch.optim import Optimizer

from .keras_layers import LOOKUP_SQUARES

KERAS_DEFAULTS: dict[str, dict] = {
    "sgd": dict(learning_rate=0.01, momentum=0.0, nesterov=False),
    "rmsprop": dict(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False),
    "adam": dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7),
}


class _ForeachOptimizer(Optimizer):
    """Shared ``step``: per parameter group, the parameters that have gradients, updated with
    ``torch._foreach_*`` kernels by :meth:`update` (Keras' ``update_step``)."""

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if params:
                self.update(group, params, [p.grad for p in params])
        return loss

    def update(self, group: dict, params: list, grads: list) -> None:
        raise NotImplementedError

    def _ask_for_lookup_squares(self) -> None:
        """Keras' Adam and RMSprop square an embedding's sparse gradient lookup by lookup: ask
        every Embedding among the parameters for those squares (keras_layers.Embedding)."""
        for group in self.param_groups:
            for p in group["params"]:
                setattr(p, LOOKUP_SQUARES, None)  # a new optimiser starts without old squares

    def zero_grad(self, set_to_none: bool = True) -> None:
        """torch's ``zero_grad``; an Embedding's recorded squares go with the gradients."""
        super().zero_grad(set_to_none)
        for group in self.param_groups:
            for p in group["params"]:
                if getattr(p, LOOKUP_SQUARES, None) is not None:
                    setattr(p, LOOKUP_SQUARES, None)

    @staticmethod
    def squared_gradients(params: list, grads: list) -> list:
        """``g * g`` per parameter, Keras' ``ops.square(gradient)``: for an Embedding's weight the
        sum of its lookups' squares recorded during backward (taken, so the next step starts
        afresh). On several devices each rank recorded the squares of its own lookups' shares
        (a share's gradient is the batch's times the world size, see base.py): summed over the
        ranks and divided by the world size squared, they are the whole batch's."""
        squares = []
        for p, g in zip(params, grads):
            recorded = getattr(p, LOOKUP_SQUARES, None)
            if recorded is None:
                squares.append(g * g)
                continue
            setattr(p, LOOKUP_SQUARES, None)
            if torch.distributed.is_available() and torch.distributed.is_initialized():
                world = torch.distributed.get_world_size()
                if world > 1:
                    torch.distributed.all_reduce(recorded)
                    recorded = recorded / world ** 2
            squares.append(recorded)
        return squares


class KerasAdam(_ForeachOptimizer):
    """``keras.optimizers.Adam``: ``p -= lr*sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps)``.

    Epsilon is added to sqrt of the UNcorrected ``v`` (torch adds it to the corrected one).
    ``m`` and ``v`` are updated as Keras writes them: ``m += (g - m) * (1 - b1)``.

    Two implementations of the same update, both checked against Keras (tests/test_losses_optimizers.py):

    - fused (default on CPU and CUDA): torch's fused Adam kernel, which computes
      ``p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps_t)``; with
      ``eps_t = eps / sqrt(1 - b2^t)`` that is Keras' update, multiplied out;
    - ``_foreach`` kernels, Keras' formula as written (``fused=False``, and any other device).
    """

    #: Devices with a fused Adam kernel in torch.
    FUSED_DEVICES = ("cpu", "cuda")

    def __init__(self, params: Iterable, learning_rate: float = 0.001, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7, fused: Optional[bool] = None):
        defaults = dict(lr=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)
        super().__init__(params, defaults)
        self.fused = fused
        self._ask_for_lookup_squares()

    def _use_fused(self, params: list, grads: list) -> bool:
        if self.fused is False:
            return False
        device, dtype = params[0].device, params[0].dtype
        # The kernel walks each tensor's memory in order: weights, gradients (and m, v, made
        # like the weights) must all be contiguous, or a transposed gradient would be misread.
        return (device.type in self.FUSED_DEVICES and dtype.is_floating_point
                and all(p.device == device and p.dtype == dtype and p.is_contiguous() for p in params)
                and all(g.dtype == dtype and not g.is_sparse and g.is_contiguous() for g in grads))

    def update(self, group: dict, params: list, grads: list) -> None:
        for p in params:
            if not self.state[p]:
                self.state[p]["m"] = torch.zeros_like(p)
                self.state[p]["v"] = torch.zeros_like(p)
        ms = [self.state[p]["m"] for p in params]
        vs = [self.state[p]["v"] for p in params]
        group["step"] = t = group.get("step", 0) + 1
        b1, b2 = group["beta_1"], group["beta_2"]
        # Keras' step size: its bias correction casts beta_1 and beta_2 to float32 constants
        # first (0.999 becomes 0.99900001287; 6.7e-6 relative shorter steps than the exact
        # decimals, found by tests/test_trajectory_parity.py in float64), while its m and v
        # updates use 1 - beta computed from the exact Python floats.
        b1_32, b2_32 = float32_constant(b1), float32_constant(b2)
        alpha = group["lr"] * math.sqrt(1 - b2_32 ** t) / (1 - b1_32 ** t)
        if any(getattr(p, LOOKUP_SQUARES, None) is not None for p in params):
            self._foreach_update(group, params, grads, ms, vs, alpha)  # an Embedding's own squares
        elif self._use_fused(params, grads):
            # The kernel computes lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps) with the betas
            # it is given (exact, for m and v): with eps_t = eps/sqrt(1-b2^t) and the lr below
            # that is alpha * m / (sqrt(v) + eps), Keras' update. It reads the step count from a
            # tensor (one per parameter; all equal: Keras counts iterations per optimiser).
            step = torch.full((), float(t), dtype=torch.float32, device=params[0].device)
            torch._fused_adam_(params, grads, ms, vs, [], [step] * len(params),
                               lr=alpha * (1 - b1 ** t) / math.sqrt(1 - b2 ** t),
                               beta1=b1, beta2=b2, weight_decay=0.0,
                               eps=group["epsilon"] / math.sqrt(1 - b2 ** t),
                               amsgrad=False, maximize=False)
        else:
            self._foreach_update(group, params, grads, ms, vs, alpha)

    def _foreach_update(self, group: dict, params: list, grads: list, ms: list, vs: list,
                        alpha: float) -> None:
        """Keras' update as written: ``m += (g - m)(1 - b1)``, ``v += (g^2 - v)(1 - b2)``,
        ``p -= alpha m / (sqrt(v) + eps)``."""
        torch._foreach_lerp_(ms, grads, 1 - group["beta_1"])
        torch._foreach_lerp_(vs, self.squared_gradients(params, grads), 1 - group["beta_2"])
        denom = torch._foreach_sqrt(vs)
        torch._foreach_add_(denom, group["epsilon"])
        torch._foreach_addcdiv_(params, ms, denom, -alpha)


def float32_constant(value: float) -> float:
    """``value`` rounded to float32, as Keras' ``ops.cast(python_float, dtype)`` makes it
    (``struct``'s float32 rounds to nearest, as a cast does; no tensor made per step)."""
    return struct.unpack("f", struct.pack("f", value))[0]


class KerasRMSprop(_ForeachOptimizer):
    """``keras.optimizers.RMSprop``: ``v = rho*v + (1-rho)*g^2``; ``p -= lr*g / sqrt(v + eps)``.

    Epsilon sits INSIDE the square root (torch: outside). Supports Keras' ``momentum``
    (``mom = mu*mom + increment; p -= mom``) and ``centered``.
    """

    def __init__(self, params: Iterable, learning_rate: float = 0.001, rho: float = 0.9,
                 momentum: float = 0.0, epsilon: float = 1e-7, centered: bool = False):
        defaults = dict(lr=learning_rate, rho=rho, momentum=momentum, epsilon=epsilon,
                        centered=centered)
        super().__init__(params, defaults)
        self._ask_for_lookup_squares()

    def update(self, group: dict, params: list, grads: list) -> None:
        rho, mu, centered = group["rho"], group["momentum"], group["centered"]
        for p in params:
            state = self.state[p]
            if not state:
                state["v"] = torch.zeros_like(p)
                if mu > 0:
                    state["mom"] = torch.zeros_like(p)
                if centered:
                    state["avg_g"] = torch.zeros_like(p)
        vs = [self.state[p]["v"] for p in params]
        torch._foreach_mul_(vs, rho)
        torch._foreach_add_(vs, torch._foreach_mul(self.squared_gradients(params, grads), 1 - rho))
        if centered:
            avgs = [self.state[p]["avg_g"] for p in params]
            torch._foreach_mul_(avgs, rho)
            torch._foreach_add_(avgs, torch._foreach_mul(grads, 1 - rho))
            denom = torch._foreach_sub(vs, torch._foreach_mul(avgs, avgs))
            torch._foreach_add_(denom, group["epsilon"])
        else:
            denom = torch._foreach_add(vs, group["epsilon"])
        torch._foreach_sqrt_(denom)
        increment = torch._foreach_div(torch._foreach_mul(grads, group["lr"]), denom)
        if mu > 0:
            moms = [self.state[p]["mom"] for p in params]
            torch._foreach_mul_(moms, mu)
            torch._foreach_add_(moms, increment)
            torch._foreach_sub_(params, moms)
        else:
            torch._foreach_sub_(params, increment)


def check_optimizer(name: str, options: Optional[dict] = None) -> None:
    """A clear error for an optimiser name or argument Keras' optimiser does not take."""
    key = name.lower() if isinstance(name, str) else name
    if key not in KERAS_DEFAULTS:
        raise ValueError(f"unknown optimizer {name!r}; use one of {sorted(KERAS_DEFAULTS)}")
    unknown = set(options or {}) - set(KERAS_DEFAULTS[key]) | ({"learning_rate"} & set(options or {}))
    if unknown:
        raise ValueError(f"optimizer {key!r} does not take {sorted(unknown)} in optimizer_options; "
                         f"it takes {sorted(set(KERAS_DEFAULTS[key]) - {'learning_rate'})} "
                         "(the learning rate is its own argument, learning_rate)")


def make_optimizer(name: str, params: Iterable, learning_rate: Optional[float] = None,
                   **options) -> Optimizer:
    """The optimiser a Keras ``compile(optimizer=name)`` would create, for torch parameters.

    ``learning_rate=None`` keeps Keras' default for that optimiser; ``options`` take Keras'
    argument names (``momentum``, ``nesterov``, ``rho``, ``beta_1``, ``beta_2``, ``epsilon``,
    ``centered``).
    """
    key = name.lower()
    check_optimizer(key, options)
    kwargs = {**KERAS_DEFAULTS[key], **options}
    if learning_rate is not None:
        kwargs["learning_rate"] = learning_rate
    if key == "sgd":
        return torch.optim.SGD(params, lr=kwargs["learning_rate"], momentum=kwargs["momentum"],
                               nesterov=kwargs["nesterov"])
    if key == "rmsprop":
        return KerasRMSprop(params, **kwargs)
    return KerasAdam(params, **kwargs)
