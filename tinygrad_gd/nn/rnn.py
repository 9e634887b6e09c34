"""Recurrent layers with torch's arguments, parameter names (``weight_ih_l0``, ``weight_hh_l0``,
``bias_ih_l0``, ``bias_hh_l0``, ``..._reverse``), initialisation (U(-1/sqrt(hidden_size),
1/sqrt(hidden_size))) and gate order: ``RNN``, ``LSTM`` (gates i, f, g, o; ``proj_size``), ``GRU``
(gates r, z, n) and the cells ``RNNCell``, ``LSTMCell``, ``GRUCell``. Each time step is built
from differentiable Tensor ops, so gradients of any order flow through the recurrence.
PackedSequence inputs are not supported: pad the batch and mask instead.

>>> import tinygrad_gd as tg
>>> from tinygrad_gd import nn
>>> lstm = nn.LSTM(input_size=3, hidden_size=5, num_layers=2, batch_first=True)
>>> out, (h_n, c_n) = lstm(tg.randn(4, 7, 3))
>>> out.shape, h_n.shape, c_n.shape
((4, 7, 5), (2, 4, 5), (2, 4, 5))
>>> list(nn.GRU(3, 5).state_dict())
['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

from ..creation import zeros
from ..functions import cat, stack
from ..tensor import Tensor
from . import functional as F
from . import init
from .module import Module, Parameter

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# ------------------------------------------------------------------------- one time step
def _rnn_step(x: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None, relu: bool) -> Tensor:
    """``x`` is the input's projection ``W_ih x + b_ih``, already computed."""
    pre = x + F.linear(h, w_hh, b_hh)
    return pre.relu() if relu else pre.tanh()


def _lstm_step(x: Tensor, h: Tensor, c: Tensor, w_hh: Tensor, b_hh: Tensor | None,
               w_hr: Tensor | None) -> tuple[Tensor, Tensor]:
    i, f, g, o = (x + F.linear(h, w_hh, b_hh)).chunk(4, -1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h = o.sigmoid() * c.tanh()
    return (h if w_hr is None else F.linear(h, w_hr)), c


def _gru_step(x: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> Tensor:
    x_r, x_z, x_n = x.chunk(3, -1)
    h_r, h_z, h_n = F.linear(h, w_hh, b_hh).chunk(3, -1)
    r, z = (x_r + h_r).sigmoid(), (x_z + h_z).sigmoid()
    n = (x_n + r * h_n).tanh()
    return n + z * (h - n)  # (1 - z) * n + z * h


def _time_steps(x: Tensor) -> list[Tensor]:
    """``x.unbind(0)`` by halving: each slice's gradient is scattered into its parent half
    only, so the backward costs O(size * log L) instead of O(size * L) for L single slices of
    the whole sequence (a long sequence's backward was quadratic in its length)."""
    n = x.shape[0]
    if n <= 4:
        return list(x.unbind(0))
    mid = n // 2
    return _time_steps(x[:mid]) + _time_steps(x[mid:])


class RNNBase(Module):
    """The shared machinery of ``RNN``, ``LSTM`` and ``GRU`` (``mode`` one of ``"RNN_TANH"``,
    ``"RNN_RELU"``, ``"LSTM"``, ``"GRU"``), with torch's parameters in torch's order."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        name = type(self).__name__
        if mode not in _GATES:
            raise ValueError(f"{name}: unrecognized RNN mode {mode!r}")
        if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 \
                or isinstance(dropout, bool):
            raise ValueError(f"{name}: dropout should be a number in range [0, 1] representing "
                             f"the probability of an element being zeroed, got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=3)
        for value, what in ((input_size, "input_size"), (hidden_size, "hidden_size"),
                            (num_layers, "num_layers")):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{name}: {what} must be an int greater than zero, got "
                                 f"{value!r}")
        if proj_size < 0 or (proj_size and mode != "LSTM"):
            raise ValueError(f"{name}: proj_size must be a non-negative int, and only LSTM "
                             f"supports it, got {proj_size!r}")
        if proj_size >= hidden_size:
            raise ValueError(f"{name}: proj_size has to be smaller than hidden_size")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        self.proj_size = proj_size
        directions = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        kw = {"dtype": dtype, "device": device}
        self._flat_weights_names: list[str] = []
        for layer in range(num_layers):
            for direction in range(directions):
                in_size = input_size if layer == 0 else real_hidden * directions
                suffix = "_reverse" if direction == 1 else ""
                shapes = [("weight_ih", (gate_size, in_size)),
                          ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                for kind, shape in shapes:
                    pname = f"{kind}_l{layer}{suffix}"
                    self.register_parameter(pname, Parameter(zeros(*shape, **kw)))
                    self._flat_weights_names.append(pname)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as torch."""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """A no-op kept for torch's API (cuDNN's contiguous weight buffer has no equivalent)."""

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters grouped per layer and direction, as torch's."""
        per = len(self._flat_weights_names) // (self.num_layers * (1 + self.bidirectional))
        names = self._flat_weights_names
        return [[getattr(self, n) for n in names[i:i + per]] for i in range(0, len(names), per)]

    def _layer_params(self, layer: int, direction: int) -> tuple:
        suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
        get = self._parameters.get
        return (get("weight_ih" + suffix), get("weight_hh" + suffix), get("bias_ih" + suffix),
                get("bias_hh" + suffix), get("weight_hr" + suffix))

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ------------------------------------------------------------------------ forward
    def _check_input(self, input: Tensor) -> bool:  # noqa: A002
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: expected a Tensor input, got {type(input).__name__} "
                            "(PackedSequence is not supported: pad the sequences)")
        if input.ndim not in (2, 3):
            raise ValueError(f"{name}: expected input to be 2-D (unbatched) or 3-D, got "
                             f"{input.ndim}-D of shape {tuple(input.shape)}")
        if input.shape[-1] != self.input_size:
            raise ValueError(f"{name}: input.size(-1) must be equal to input_size. Expected "
                             f"{self.input_size}, got {input.shape[-1]}")
        if not input.is_floating_point():
            raise TypeError(f"{name}: expected a floating input, got {input.dtype}")
        return input.ndim == 3

    def _initial(self, hx: Tensor | None, batch: int, size: int, like: Tensor, batched: bool,
                 what: str) -> Tensor:
        """``hx`` (checked, batched) or zeros ``(layers * directions, batch, size)``."""
        shape = (self.num_layers * (1 + self.bidirectional), batch, size)
        if hx is None:
            return zeros(*shape, dtype=like.dtype, device=like.device)
        if hx.ndim != (3 if batched else 2):
            kind = "batched 3-D" if batched else "unbatched 2-D"
            raise ValueError(f"{type(self).__name__}: for {kind} input, {what} should also be "
                             f"{3 if batched else 2}-D but got {hx.ndim}-D")
        if not batched:
            hx = hx.unsqueeze(1)
        if tuple(hx.shape) != shape:
            raise ValueError(f"{type(self).__name__}: expected {what} of size {list(shape)}, "
                             f"got {list(hx.shape)}")
        return hx

    def _run(self, input: Tensor, states: list[Tensor]  # noqa: A002
             ) -> tuple[Tensor, list[list[Tensor]]]:
        """The stack over ``input (L, N, F)`` from initial ``states`` (``h`` and for LSTM
        ``c``, each ``(layers * directions, N, H)``); returns the output and the final states
        per layer-direction."""
        directions = 1 + self.bidirectional
        relu = self.mode == "RNN_RELU"
        finals: list[list[Tensor]] = [[] for _ in states]
        x = input
        for layer in range(self.num_layers):
            outs = []
            for direction in range(directions):
                w_ih, w_hh, b_ih, b_hh, w_hr = self._layer_params(layer, direction)
                idx = layer * directions + direction
                state = [s[idx] for s in states]
                steps = _time_steps(F.linear(x, w_ih, b_ih))
                order = range(len(steps) - 1, -1, -1) if direction == 1 else range(len(steps))
                hs: list[Any] = [None] * len(steps)
                for t in order:
                    if self.mode == "LSTM":
                        state = list(_lstm_step(steps[t], state[0], state[1], w_hh, b_hh, w_hr))
                    elif self.mode == "GRU":
                        state = [_gru_step(steps[t], state[0], w_hh, b_hh)]
                    else:
                        state = [_rnn_step(steps[t], state[0], w_hh, b_hh, relu)]
                    hs[t] = state[0]
                outs.append(stack(hs) if hs else zeros(0, x.shape[1], state[0].shape[-1],
                                                       dtype=x.dtype, device=x.device))
                for keep, s in zip(finals, state):
                    keep.append(s)
            x = outs[0] if directions == 1 else cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, training=True)
        return x, finals

    def forward(self, input: Tensor, hx: Any = None) -> tuple[Tensor, Any]:  # noqa: A002
        """``(output, h_n)`` (``(output, (h_n, c_n))`` for LSTM) for ``input (L, N, F)``
        (``(N, L, F)`` with ``batch_first``, or unbatched ``(L, F)``)."""
        batched = self._check_input(input)
        x = input
        if not batched:
            x = x.unsqueeze(1)
        elif self.batch_first:
            x = x.transpose(0, 1)
        n = x.shape[1]
        out_size = self.proj_size if self.proj_size > 0 else self.hidden_size
        if self.mode == "LSTM":
            if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
                raise TypeError("LSTM: hx must be a tuple (h_0, c_0)")
            h0, c0 = (None, None) if hx is None else hx
            states = [self._initial(h0, n, out_size, x, batched, "hx[0]"),
                      self._initial(c0, n, self.hidden_size, x, batched, "hx[1]")]
        else:
            if hx is not None and not isinstance(hx, Tensor):
                raise TypeError(f"{type(self).__name__}: hx must be a Tensor, got "
                                f"{type(hx).__name__}")
            states = [self._initial(hx, n, self.hidden_size, x, batched, "hx")]
        out, finals = self._run(x, states)
        finals_t = [stack(f) for f in finals]
        if not batched:
            out = out.squeeze(1)
            finals_t = [f.squeeze(1) for f in finals_t]
        elif self.batch_first:
            out = out.transpose(0, 1)
        if self.mode == "LSTM":
            return out, (finals_t[0], finals_t[1])
        return out, finals_t[0]


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)`` (or ReLU), stacked
    ``num_layers`` deep. torch's signature: ``RNN(input_size, hidden_size, num_layers=1,
    nonlinearity="tanh", bias=True, batch_first=False, dropout=0.0, bidirectional=False)``.
    ``forward(input, hx=None)`` returns ``(output, h_n)``."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: unknown nonlinearity {nonlinearity!r}; select from 'tanh' "
                             "or 'relu'")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)


class LSTM(RNNBase):
    """Long short-term memory, torch's gates ``i, f, g, o`` (rows of ``weight_ih_l0`` in that
    order): ``c_t = f * c_{t-1} + i * g``, ``h_t = o * tanh(c_t)`` (then ``W_hr h_t`` with
    ``proj_size``). ``forward(input, hx=None)`` with ``hx = (h_0, c_0)`` returns
    ``(output, (h_n, c_n))``."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device=device, dtype=dtype)


class GRU(RNNBase):
    """Gated recurrent unit, torch's gates ``r, z, n``: ``n = tanh(W_in x + b_in + r * (W_hn h
    + b_hn))``, ``h_t = (1 - z) * n + z * h_{t-1}``. ``forward(input, hx=None)`` returns
    ``(output, h_n)``."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device: Any = None, dtype: Any = None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device=device, dtype=dtype)


# --------------------------------------------------------------------------------- cells
class RNNCellBase(Module):
    """One step of a recurrent layer: ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        kw = {"dtype": dtype, "device": device}
        self.weight_ih = Parameter(zeros(num_chunks * hidden_size, input_size, **kw))
        self.weight_hh = Parameter(zeros(num_chunks * hidden_size, hidden_size, **kw))
        if bias:
            self.bias_ih = Parameter(zeros(num_chunks * hidden_size, **kw))
            self.bias_hh = Parameter(zeros(num_chunks * hidden_size, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as torch."""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prepare(self, input: Tensor, hx: Any, what: str  # noqa: A002
                 ) -> tuple[Tensor, list[Tensor], bool]:
        name = type(self).__name__
        if not isinstance(input, Tensor) or input.ndim not in (1, 2):
            raise ValueError(f"{name}: expected input to be 1-D or 2-D, got "
                             f"{getattr(input, 'shape', type(input).__name__)}")
        if input.shape[-1] != self.input_size:
            raise ValueError(f"{name}: input has inconsistent input_size: got "
                             f"{input.shape[-1]} expected {self.input_size}")
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        parts = list(hx) if isinstance(hx, (tuple, list)) else [hx]
        states = []
        for part in parts:
            if part is None:
                part = zeros(x.shape[0], self.hidden_size, dtype=x.dtype, device=x.device)
            else:
                if part.ndim != input.ndim:
                    raise ValueError(f"{name}: {what} should be {input.ndim}-D like the input, "
                                     f"got {part.ndim}-D")
                part = part if batched else part.unsqueeze(0)
                if tuple(part.shape) != (x.shape[0], self.hidden_size):
                    raise ValueError(f"{name}: expected {what} of shape "
                                     f"{(x.shape[0], self.hidden_size)}, got "
                                     f"{tuple(part.shape)}")
            states.append(part)
        return x, states, batched


class RNNCell(RNNCellBase):
    """``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)`` (or ReLU); ``forward(input, hx=None)``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Any = None, dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: unknown nonlinearity {nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias, 1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        """The next hidden state, ``(N, hidden_size)`` (or ``(hidden_size,)``)."""
        x, (h,), batched = self._prepare(input, hx, "hx")
        h = _rnn_step(F.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh,
                      self.bias_hh, self.nonlinearity == "relu")
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step (gates ``i, f, g, o``); ``forward(input, hx=None)`` with ``hx = (h, c)``
    returns ``(h', c')``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Any = None) -> tuple[Tensor, Tensor]:  # noqa: A002
        """The next ``(h, c)``."""
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError("LSTMCell: hx must be a tuple (h_0, c_0)")
        x, (h, c), batched = self._prepare(input, (None, None) if hx is None else hx, "hx")
        h, c = _lstm_step(F.linear(x, self.weight_ih, self.bias_ih), h, c, self.weight_hh,
                          self.bias_hh, None)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step (gates ``r, z, n``); ``forward(input, hx=None)`` returns ``h'``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        """The next hidden state."""
        x, (h,), batched = self._prepare(input, hx, "hx")
        h = _gru_step(F.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh,
                      self.bias_hh)
        return h if batched else h.squeeze(0)
