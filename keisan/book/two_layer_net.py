"""The book's ``ch05/two_layer_net.py`` (ch. 4's scripts train it too):
:class:`keisan.models.TwoLayerNet`, Affine-ReLU-Affine-SoftmaxWithLoss, and, as the book's
module star-imports them, its layers, functions and ``numerical_gradient``."""
from collections import OrderedDict

from keisan.book.gradient import numerical_gradient
from keisan.book.layers import *  # noqa: F401,F403
from keisan.book.layers import __all__ as _layers_all
from keisan.models import TwoLayerNet

__all__ = _layers_all + ['OrderedDict', 'TwoLayerNet', 'numerical_gradient']
