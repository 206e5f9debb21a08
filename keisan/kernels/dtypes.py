"""dtype promotion shared by the kernels and Functions."""
from keisan.cuda import get_array_module


def as_float(x):
    """``x`` if it has a float (or complex) dtype, else ``x`` as float64, as NumPy's own
    ``np.exp(int_array)`` would compute it. Explicit, because NumPy 1.x turns e.g.
    ``int8 * 0.5`` into float16, and in-place float steps cannot write into int arrays."""
    if x.dtype.kind in 'fc':
        return x
    return x.astype(get_array_module(x).float64)
