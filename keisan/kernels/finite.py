"""Counting NaN and infinite values, for the checks of data, parameters and scores."""
from keisan.cuda import get_array_module


def non_finite(x):
    """``(values, rows, first_row)`` for the NaN and infinite entries of ``x`` (any shape):
    how many values, how many rows along axis 0 hold one, and the first such row;
    ``(0, 0, -1)`` when every entry is finite (one pass over ``x``, then only the rows)."""
    xp = get_array_module(x)
    finite = xp.isfinite(x).reshape(len(x) if x.ndim else 1, -1)
    values = int(finite.size - xp.count_nonzero(finite))
    if not values:
        return 0, 0, -1
    row_ok = finite.all(axis=1)
    return values, int(row_ok.size - xp.count_nonzero(row_ok)), int(xp.argmin(row_ok))
