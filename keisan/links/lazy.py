"""Input checks of links whose parameter shapes are inferred at the first call."""
from keisan import cuda
from keisan.core.variable import Variable


def check_input(where, x, min_ndim):
    """The array of ``x`` (a Variable or array) with at least ``min_ndim`` axes.

    Raises TypeError naming the link and the type for anything else, before a
    lazy parameter is shaped from it.
    """
    data = x.data if isinstance(x, Variable) else x
    if not cuda.is_array(data):
        raise TypeError('%s: x must be a Variable or a NumPy/CuPy array, got %s'
                        % (where, type(x).__name__))
    if data.ndim < min_ndim:
        raise ValueError('%s: x must have at least %d axes to infer the input size, got shape %s'
                         % (where, min_ndim, data.shape))
    return data
