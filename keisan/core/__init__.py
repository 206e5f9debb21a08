"""The define-by-run engine: Variable, Parameter and Function."""
from keisan.core.function import Function
from keisan.core.variable import Parameter, Variable, as_array, as_variable, grad

__all__ = ['Function', 'Parameter', 'Variable', 'as_array', 'as_variable', 'grad']
