"""Global switches: train/test behaviour, graph recording, default dtype.

``config.train`` selects dropout and batch-norm behaviour, ``config.enable_backprop``
whether Functions record the graph, ``config.dtype`` the dtype of new parameters.
"""
import contextlib

import numpy as np


class Config:
    __slots__ = ('train', 'enable_backprop', '_dtype')

    def __init__(self):
        self.train = True
        self.enable_backprop = True
        self._dtype = np.dtype(np.float32)

    @property
    def dtype(self):
        """dtype of parameters and data made by keisan (float32 unless set)."""
        return self._dtype

    @dtype.setter
    def dtype(self, value):
        value = np.dtype(value)
        if value.kind != 'f':
            raise TypeError('config.dtype must be a floating dtype, got %s' % value)
        self._dtype = value

    def __repr__(self):
        return 'Config(train=%r, enable_backprop=%r, dtype=%s)' % (
            self.train, self.enable_backprop, self._dtype)


config = Config()


@contextlib.contextmanager
def using_config(name, value):
    """Temporarily set ``config.<name>`` (e.g. ``using_config('train', False)``)."""
    if not hasattr(config, name):
        raise AttributeError('using_config: unknown setting %r' % name)
    old = getattr(config, name)
    setattr(config, name, value)
    try:
        yield
    finally:
        setattr(config, name, old)


def no_grad():
    """Context in which Functions record no graph (inference, parameter updates)."""
    return using_config('enable_backprop', False)


def test_mode():
    """Context in which dropout is off and batch norm uses its running statistics."""
    return using_config('train', False)
