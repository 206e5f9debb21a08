"""The book's ``common/multi_layer_net.py``: :class:`keisan.models.MultiLayerNet`, and, as
the book's module star-imports them, its layers, functions and ``numerical_gradient``."""
from collections import OrderedDict

from keisan.book.gradient import numerical_gradient
from keisan.book.layers import *  # noqa: F401,F403
from keisan.book.layers import __all__ as _layers_all
from keisan.models import MultiLayerNet

__all__ = _layers_all + ['OrderedDict', 'MultiLayerNet', 'numerical_gradient']
