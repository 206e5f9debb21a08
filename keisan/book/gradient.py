"""The book's ``common/gradient.py``: numerical gradients by central differences.

``numerical_gradient(f, x)`` perturbs each element of the N-D array ``x`` in place by
h = 1e-4 and restores it; for an ``x`` narrower than float64 ``f`` is called with a
float64 copy carrying the same perturbation, so that the loss keeps its digits (see
:func:`keisan.gradient_check.numerical_gradient`). ``numerical_gradient_2d(f, X)``
differentiates ``f`` at each row of X (ch. 4's plots of the gradient field).
"""
import numpy as np

from keisan.gradient_check import numerical_gradient, numerical_gradient_2d

__all__ = ['np', 'numerical_gradient', 'numerical_gradient_2d']
