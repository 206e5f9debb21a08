"""The book's ``ch08/deep_convnet.py``: :class:`keisan.models.DeepConvNet`, and, as the
book's module star-imports them, its layers and functions. ``load_params`` reads the
book's trained ``deep_convnet_params.pkl`` as well as keisan's ``.npz`` files."""
from collections import OrderedDict

from keisan.book.layers import *  # noqa: F401,F403
from keisan.book.layers import __all__ as _layers_all
from keisan.models import DeepConvNet

__all__ = _layers_all + ['OrderedDict', 'DeepConvNet']
