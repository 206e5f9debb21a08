"""The book's ``common/multi_layer_net_extend.py``: :class:`keisan.models.MultiLayerNetExtend`
(batch norm, dropout, weight decay), and, as the book's module star-imports them, its
layers, functions and ``numerical_gradient``."""
from collections import OrderedDict

from keisan.book.gradient import numerical_gradient
from keisan.book.layers import *  # noqa: F401,F403
from keisan.book.layers import __all__ as _layers_all
from keisan.models import MultiLayerNetExtend

__all__ = _layers_all + ['OrderedDict', 'MultiLayerNetExtend', 'numerical_gradient']
