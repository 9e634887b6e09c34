"""tinygrad_gd: a small, readable reverse-mode autodiff framework and the optimizers that use it.

>>> import tinygrad_gd as tg
>>> x = tg.tensor([3.0], requires_grad=True)
>>> (x ** 2).sum().backward()
>>> x.grad.tolist()
[6.0]
"""

# Subpackages (nn, optim, ...) import the core modules themselves, so the order here is free.
from . import (accelerator, autograd, backends, cuda, data, linalg, nn, optim, return_types,
               testing, utils, viz)
from .analysis import second_derivative_test, top_hessian_eigenvalue
from .autograd import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,
                       no_grad, set_grad_enabled)
from .backend import cuda_available, debug_checks_enabled, set_debug_checks
from .creation import *
from .devices import device
from .dtypes import *
from .printing import set_printoptions
from .autograd.functional import grad, hessian, hvp, jacobian, jvp, vjp
from . import func  # noqa: E402 - torch.func's transforms (forward mode included)
from .functions import (abs, amax, amin, broadcast_to, cat, chunk, clamp, clip, cos, dot, exp,
                        flatten, log, log_softmax, logsumexp, matmul, maximum, mean, minimum, norm,
                        outer, pad, permute, relu, reshape, sigmoid, sin, softmax, split, sqrt,
                        squeeze, stack, std, sum, tanh, transpose, unsqueeze, var, where)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck, numerical_jacobian
from .jit import jit  # noqa: E402 - trace-and-replay (imports optim and nn lazily)
from . import amp  # noqa: E402 - torch.amp: GradScaler, autocast (a region only)
from . import distributions  # noqa: E402 - Normal, Categorical, Bernoulli, Uniform
from . import special  # noqa: E402 - torch.special's names
from .amp import autocast, get_autocast_dtype, is_autocast_enabled  # noqa: E402
from .methods.conversion import *
from .methods.extras import *
from .methods.extras_functions import *
from .methods.indexing import *
from .methods.linalg import *
from .methods.pointwise import *
from .methods.reduction import *
from .methods.shaping import *
from .runtime import *
from .legacy import *
from .serialization import CheckpointError, load, save
from .tensor import Tensor, bool_, float16, float32, float64, int32, int64, uint8

bool = bool_  # noqa: A001 - torch's name: tg.bool
__version__ = "0.1.0"
