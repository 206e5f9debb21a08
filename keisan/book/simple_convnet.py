"""The book's ``ch07/simple_convnet.py``: :class:`keisan.models.SimpleConvNet`, and, as the
book's module star-imports them, its layers, functions and ``numerical_gradient``.
``load_params`` reads the book's ``params.pkl`` as well as keisan's ``.npz`` files."""
from collections import OrderedDict

from keisan.book.gradient import numerical_gradient
from keisan.book.layers import *  # noqa: F401,F403
from keisan.book.layers import __all__ as _layers_all
from keisan.models import SimpleConvNet

__all__ = _layers_all + ['OrderedDict', 'SimpleConvNet', 'numerical_gradient']
