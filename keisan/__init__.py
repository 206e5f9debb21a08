"""keisan (計算): deep learning from scratch, with a define-by-run autograd.

    import keisan as ks
    import keisan.functions as F

    x = ks.Variable(np.array([[1., 2.], [3., 4.]]))
    W = ks.Parameter(np.random.randn(2, 3))
    y = F.sum(F.relu(x @ W + 1.0))
    y.backward()            # x.grad, W.grad
"""
from keisan.cuda import get_array_module
from keisan.config import config, no_grad, test_mode, using_config
from keisan.core import Function, Parameter, Variable, as_array, as_variable, grad
from keisan import (cuda, datasets, distributed, functions, gradient_check, initializers,
                    layers, links, models, optimizers, serializers, utils)

__version__ = '0.1.0'

__all__ = ['Function', 'Parameter', 'Variable', 'as_array', 'as_variable', 'config', 'cuda',
           'datasets', 'distributed', 'functions', 'get_array_module', 'grad', 'gradient_check',
           'initializers', 'layers', 'links', 'models', 'no_grad', 'optimizers', 'serializers',
           'test_mode', 'using_config', 'utils']
