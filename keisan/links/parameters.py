"""Parameter setup shared by the links with weights: a weight made now or at the first call
(when the input size is None), and an optional bias."""
from keisan import cuda, initializers
from keisan.core.variable import Parameter, Variable


def weight(initialW, shape, dtype):
    """A Parameter filled by ``initialW`` (see :func:`keisan.initializers.get`), or left
    empty until :func:`initialize_lazy` when ``shape`` is None."""
    param = Parameter(initializer=initializers.get(initialW))
    if shape is not None:
        param.initialize(shape, dtype=dtype)
    return param


def bias(size, nobias, initial_bias, dtype):
    """A (size,) Parameter filled by ``initial_bias`` (default 0), or None with ``nobias``."""
    if nobias:
        return None
    param = Parameter(initializer=initializers.get(initial_bias, initializers.Zero()))
    param.initialize((size,), dtype=dtype)
    return param


def initialize_lazy(where, param, x, shape_of, dtype):
    """Shape ``param`` from the first input ``x`` (a Variable or array with at least two
    axes) as ``shape_of(x.shape)``, on x's device. TypeError/ValueError name the link."""
    data = x.data if isinstance(x, Variable) else x
    if not cuda.is_array(data):
        raise TypeError('%s: x must be a Variable or a NumPy/CuPy array, got %s'
                        % (where, type(x).__name__))
    if data.ndim < 2:
        raise ValueError('%s: x must have at least 2 axes to infer the input size, got shape %s'
                         % (where, data.shape))
    param.initialize(shape_of(data.shape), xp=cuda.get_array_module(data), dtype=dtype)
