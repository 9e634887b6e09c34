"""Stateless layers, activations and losses (``torch.nn.functional``): ``F.linear``,
``F.conv2d``, pooling, normalisation, dropout, activations and the losses, each loss with
``reduction="mean" | "sum" | "none"``.

>>> import tinygrad_gd as tg
>>> from tinygrad_gd.nn import functional as F
>>> logits = tg.tensor([[2.0, 0.0, -1.0], [0.0, 1e4, 0.0]], requires_grad=True)
>>> loss = F.cross_entropy(logits, tg.tensor([0, 1]))
>>> round(loss.item(), 4)
0.0849
>>> loss.backward()
>>> [round(v, 3) for v in logits.grad[1].tolist()]
[0.0, 0.0, 0.0]
"""

from ._util import _REDUCTIONS, _as_target, _check_same_shape, _pair, _reduce
from .activation import *
from .attention import *
from .conv import *
from .layer import *
from .loss import *
from .normalization import *
from .pooling import *
from .sampling import *
from .volumetric import *
from .extras import *
