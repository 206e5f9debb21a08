"""Python operators and array-like methods of Variable, routed to keisan.functions.

Kept apart from ``variable.py`` because the functions themselves import Variable.
"""
from keisan.core.variable import Variable


def install():
    from keisan import functions as F
    from keisan.functions.math import operand

    def reflected(fn):
        return lambda self, other: fn(operand(other, self, fn.__name__), self)

    Variable.__add__ = F.add
    Variable.__radd__ = reflected(F.add)
    Variable.__sub__ = F.sub
    Variable.__rsub__ = reflected(F.sub)
    Variable.__mul__ = F.mul
    Variable.__rmul__ = reflected(F.mul)
    Variable.__truediv__ = F.div
    Variable.__rtruediv__ = reflected(F.div)
    Variable.__pow__ = F.pow
    Variable.__rpow__ = reflected(F.pow)
    Variable.__matmul__ = F.matmul
    Variable.__rmatmul__ = lambda self, other: F.matmul(other, self)
    Variable.__neg__ = F.neg
    Variable.__pos__ = lambda self: self
    Variable.__abs__ = F.absolute
    Variable.__getitem__ = F.get_item
    Variable.T = property(lambda self: F.transpose(self))
    Variable.reshape = lambda self, *shape: F.reshape(
        self, shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape)
    Variable.transpose = lambda self, *axes: F.transpose(
        self, None if not axes else axes[0] if isinstance(axes[0], (tuple, list)) else axes)
    Variable.sum = lambda self, axis=None, keepdims=False: F.sum(self, axis, keepdims)
    Variable.mean = lambda self, axis=None, keepdims=False: F.mean(self, axis, keepdims)
