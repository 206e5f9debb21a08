"""The layer-by-layer API of "Deep Learning from Scratch".

Each class keeps the book's name, constructor, attributes and
``forward(...)`` / ``backward(dout=1)`` semantics, and delegates the arithmetic
to the ``forward``/``backward`` of the matching :mod:`keisan.functions`
Function, so the two APIs run the same kernels. Parameters are *referenced*,
not copied: ``params['W1'] -= lr * grads['W1']`` is seen by the layer.
"""
from keisan.layers.activation import LeakyReLU, ReLU, Relu, Sigmoid
from keisan.layers.affine import Affine
from keisan.layers.arithmetic import AddLayer, MulLayer
from keisan.layers.convolution import Convolution, MaxPooling, Pooling
from keisan.layers.loss import MeanSquaredLoss, SoftmaxWithLoss
from keisan.layers.normalization import BatchNormalization
from keisan.layers.regularization import Dropout

__all__ = ['AddLayer', 'Affine', 'BatchNormalization', 'Convolution', 'Dropout', 'LeakyReLU',
           'MaxPooling', 'MeanSquaredLoss', 'MulLayer', 'Pooling', 'ReLU', 'Relu', 'Sigmoid',
           'SoftmaxWithLoss']
