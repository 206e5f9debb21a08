"""The book's ``common/optimizer.py``: SGD, Momentum, Nesterov, AdaGrad, RMSprop and Adam,
with the names other listings use (``RMSProp``, ``AdaDelta``).

They are keisan's optimizers: ``update(params, grads)`` on the book's dicts (arrays are
updated in place; plain numbers, as ch. 6 optimizes f(x, y), are replaced), with the
book's state as attributes (``Momentum.v``, ``AdaGrad.h``, ``RMSprop.h``, ``Adam.iter``,
``Adam.m``, ``Adam.v``, dicts keyed like ``params``) and the book's arguments
(``RMSprop(lr, decay_rate)``, ``Adam(lr, beta1, beta2)``; also ``rho``, ``rho1``,
``rho2``). Adam's eps is 1e-8 (the paper's) where the book writes 1e-7.
"""
import numpy as np

from keisan.optimizers import SGD, AdaDelta, AdaGrad, Adam, Momentum, Nesterov, RMSProp, RMSprop

__all__ = ['AdaDelta', 'AdaGrad', 'Adam', 'Momentum', 'Nesterov', 'RMSProp', 'RMSprop', 'SGD',
           'np']
