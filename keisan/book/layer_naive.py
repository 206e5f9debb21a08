"""The book's ``ch05/layer_naive.py``: MulLayer and AddLayer on numbers or arrays."""
from keisan.layers import AddLayer, MulLayer

__all__ = ['AddLayer', 'MulLayer']
