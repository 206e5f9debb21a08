"""The book's ``common/layers.py``: the layer classes, with the names some listings use
(``ReLU``, ``MaxPooling``, ``LeakyReLU``, ``MeanSquaredLoss``), and, as the book's module
star-imports them, the functions of :mod:`keisan.book.functions` and im2col/col2im."""
from keisan.book.functions import *  # noqa: F401,F403  (as common/layers.py does)
from keisan.book.functions import __all__ as _functions_all
from keisan.kernels import col2im, im2col
from keisan.layers import (Affine, BatchNormalization, Convolution, Dropout, LeakyReLU,
                           MaxPooling, MeanSquaredLoss, Pooling, ReLU, Relu, Sigmoid,
                           SoftmaxWithLoss)

__all__ = _functions_all + [
    'Affine', 'BatchNormalization', 'Convolution', 'Dropout', 'LeakyReLU', 'MaxPooling',
    'MeanSquaredLoss', 'Pooling', 'ReLU', 'Relu', 'Sigmoid', 'SoftmaxWithLoss', 'col2im',
    'im2col']
