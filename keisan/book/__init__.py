"""The layout of the book's repository, so that its scripts run with their imports changed.

"Deep Learning from Scratch" keeps its shared code in ``common/`` and ``dataset/`` and a
chapter's networks beside its scripts. Each of those files has a module here::

    from common.layers import *                 ->  from keisan.book.layers import *
    from common.trainer import Trainer          ->  from keisan.book.trainer import Trainer
    from dataset.mnist import load_mnist        ->  from keisan.book.mnist import load_mnist
    from two_layer_net import TwoLayerNet       ->  from keisan.book.two_layer_net import ...

``functions``, ``gradient``, ``layers``, ``optimizer``, ``trainer``, ``multi_layer_net``,
``multi_layer_net_extend``, ``util`` and ``mnist`` mirror ``common/`` and ``dataset/``;
``layer_naive``, ``two_layer_net``, ``simple_convnet`` and ``deep_convnet`` the chapter
networks. They hold no code of their own beyond adapters: every name is keisan's one
implementation (the layers of :mod:`keisan.layers`, the networks of
:mod:`keisan.models`, the rules of :mod:`keisan.optimizers`, the Trainer of
:mod:`keisan.training`, the array helpers of :mod:`keisan.kernels.book_helpers`).

A star import gives what the book's module gives: its names, the names the book's module
itself star-imports (``common/layers.py`` re-exports ``common/functions.py``), and ``np``
where the book's module imports NumPy, since some scripts use ``np`` without importing
it. No module shadows a Python built-in.
"""
