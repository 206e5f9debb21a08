"""Differentiable functions on Variables (``import keisan.functions as F``).

Every function accepts Variables, NumPy/CuPy arrays or (for elementwise math)
Python scalars, and returns a Variable. Each is a :class:`keisan.Function`
subclass whose ``forward``/``backward`` the book's layers call directly.
"""
import builtins as _builtins
import types as _types

from keisan.functions.activation import (Identity, LeakyReLU, LogSoftmax, ReLU, Sigmoid,
                                         Softmax, identity, leaky_relu, log_softmax, relu,
                                         sigmoid, softmax, step)
from keisan.functions.array import (BroadcastTo, Concat, GetItem, Mean, Reshape, Stack, Sum,
                                    SumTo, Transpose, broadcast_to, concat, expand_dims,
                                    flatten, get_item, mean, reshape, squeeze, stack, sum,
                                    sum_to, transpose)
from keisan.functions.convolution import (Convolution2D, Deconvolution2D, convolution_2d,
                                         deconvolution_2d)
from keisan.functions.evaluation import accuracy
from keisan.functions.linalg import Linear, MatMul, linear, matmul
from keisan.functions.loss import (MeanSquaredError, SigmoidCrossEntropy,
                                   SoftmaxCrossEntropy, mean_squared_error,
                                   sigmoid_cross_entropy, softmax_cross_entropy)
from keisan.functions.math import (Abs, Add, Clip, Cos, Div, Exp, Log, Maximum, Minimum, Mul,
                                   Neg, Pow, PowConst, Sin, Sqrt, Square, Sub, Tanh, absolute,
                                   add, clip, cos, div, exp, log, maximum, minimum, mul, neg,
                                   pow, sin, sqrt, square, sub, tanh)
from keisan.functions.noise import Dropout, dropout
from keisan.functions.normalization import (BatchNormalization, FixedBatchNormalization,
                                            batch_normalization, fixed_batch_normalization)
from keisan.functions.pooling import (AveragePooling2D, MaxPooling2D, average_pooling_2d,
                                      max_pooling_2d)
from keisan.functions import operators as _operators
from keisan.kernels import col2im, im2col

_operators.install()

abs = absolute  # noqa: A001  (F.abs mirrors numpy.abs)

# ``from keisan.functions import *`` gives the functions and classes, but neither the
# names that would shadow Python's built-ins (sum, abs, pow: use F.sum, F.abs, F.pow)
# nor the submodules (math, array, ... would shadow the standard library's).
__all__ = [name for name, value in sorted(globals().items()) if not name.startswith('_')
           and name not in vars(_builtins) and not isinstance(value, _types.ModuleType)]
