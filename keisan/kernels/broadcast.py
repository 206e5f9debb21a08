"""Reducing a broadcast gradient back to the shape of the input it came from."""


def sum_to(array, shape):
    """Sum ``array`` over the axes that broadcasting added or stretched to reach ``shape``.

    ``sum_to(g, x.shape)`` is the backward of ``broadcast_to(x, g.shape)``.
    Returns ``array`` itself when the shapes already agree.
    """
    shape = tuple(shape)
    if array.shape == shape:
        return array
    lead = array.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and array.shape[lead + i] != 1)
    out = array.sum(axis=axes, keepdims=True)
    if lead:
        out = out.reshape(out.shape[lead:])
    return out
