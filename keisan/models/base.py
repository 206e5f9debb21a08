"""BookNetwork: the seed networks' API and a define-by-run view of the same arrays.

A network built from the book's layers keeps the book's interface: a
``params`` dict of arrays, ``layers`` (an OrderedDict or a list),
``last_layer``, ``predict``, ``loss``, ``accuracy``, ``gradient`` and
``numerical_gradient``. It is also a :class:`keisan.links.Link` whose
Parameters wrap *the same arrays*, and ``network(x)`` runs the same layers
inside the autograd graph through :class:`LayerFunction`. Optimizers update the
arrays in place, so ``params``, the layers and the Parameters always agree:

    grads = net.gradient(x, t); opt.update(net.params, grads)   # book style
    loss = net.forward_loss(x, t); loss.backward(); opt.update() # define-by-run
"""
from collections import OrderedDict

import numpy as np

from keisan import functions as F
from keisan import gradient_check, serializers
from keisan.config import config
from keisan.core.function import Function
from keisan.core.variable import Parameter
from keisan.layers import BatchNormalization, Dropout
from keisan.links.link import Link

#: Parameter attributes of each book layer type and the gradient attributes
#: its backward fills ('W' -> 'dW').
LAYER_PARAMS = {'Affine': ('W', 'b'), 'Convolution': ('W', 'b'),
                'BatchNormalization': ('gamma', 'beta')}


def layer_param_names(layer):
    return LAYER_PARAMS.get(type(layer).__name__, ())


def takes_train_flag(layer):
    return isinstance(layer, (Dropout, BatchNormalization))


class LayerFunction(Function):
    """A book layer as a graph Function: inputs (x, *the layer's parameters).

    Works on a shallow copy of the layer, so two uses of a layer in one graph
    keep separate forward state while sharing the parameter arrays.
    """

    def __init__(self, layer, train_flg):
        clone = object.__new__(type(layer))     # a shallow copy, ~10x cheaper than copy.copy
        clone.__dict__.update(layer.__dict__)
        self.layer, self.train_flg = clone, train_flg

    @property
    def label(self):
        return type(self.layer).__name__

    def forward(self, x, *params):
        if takes_train_flag(self.layer):
            return self.layer.forward(x, self.train_flg)
        return self.layer.forward(x)

    def backward(self, gy):
        if hasattr(self.layer, 'compute_dx'):
            self.layer.compute_dx = self.needs_input_grad[0]
        gx = self.layer.backward(gy)
        return (gx,) + tuple(getattr(self.layer, 'd' + name)
                             for name in layer_param_names(self.layer))


class ParamsDict(dict):
    """The book's ``params`` dict of arrays, also callable as ``Link.params()``.

    ``net.params['W1']`` is the array; ``net.params()`` iterates the Parameters
    that wrap these arrays, as for any Link.
    """

    def __init__(self, owner):
        super().__init__()
        self._owner = owner

    def __call__(self, include_uninit=True):
        return Link.params(self._owner, include_uninit)


class BookNetwork(Link):
    """Base of the seed networks; subclasses fill ``params``, ``layers``, ``last_layer``.

    Class attribute ``loss_train_flg``: whether ``loss(x, t)`` runs dropout and
    batch norm in training mode by default (True for DeepConvNet, as in the book).
    """
    loss_train_flg = False

    def __init__(self, weight_decay_lambda=0.0, dtype=None):
        super().__init__()
        self.weight_decay_lambda = weight_decay_lambda
        self.dtype = np.dtype(dtype or config.dtype)
        self.params = ParamsDict(self)

    def _new_param(self, array):
        return np.asarray(array, dtype=self.dtype)

    def _finish(self):
        """Register Parameters over ``params`` and map each to the layer that uses it."""
        by_id = {}
        for key, array in self.params.items():
            setattr(self, key, Parameter(array, name=key))
            by_id[id(array)] = key
        self._slots = {}            # param key -> (layer, attribute)
        for layer in self.layer_list():
            for attr in layer_param_names(layer):
                key = by_id.get(id(getattr(layer, attr)))
                if key is None:
                    raise RuntimeError('%s: layer %s holds a %s that is not in params'
                                       % (type(self).__name__, type(layer).__name__, attr))
                self._slots[key] = (layer, attr)
        # Each layer with the Parameters it takes, in order, for the graph view.
        params = self.params_by_key()
        slot_key = {(id(layer), attr): key for key, (layer, attr) in self._slots.items()}
        self._layer_params = [(layer, [params[slot_key[id(layer), attr]]
                                       for attr in layer_param_names(layer)])
                              for layer in self.layer_list()]
        first = self.layer_list()[0]
        if hasattr(first, 'compute_dx'):
            first.compute_dx = False    # its input is data: skip dx (and col2im)
        for i, layer in enumerate(self.batchnorm_layers(), 1):
            if layer.running_mean is None:
                size = layer.gamma.shape[0]
                layer.running_mean = np.zeros(size, self.dtype)
                layer.running_var = np.zeros(size, self.dtype)
            self.register_persistent('running_mean%d' % i, layer.running_mean)
            self.register_persistent('running_var%d' % i, layer.running_var)

    # ----- the book's API -------------------------------------------------------
    def layer_list(self):
        return list(self.layers.values()) if isinstance(self.layers, dict) else self.layers

    def batchnorm_layers(self):
        return [la for la in self.layer_list() if isinstance(la, BatchNormalization)]

    def predict(self, x, train_flg=False):
        """Scores (N, output_size) for x, running the book's layers."""
        for layer in self.layer_list():
            x = layer.forward(x, train_flg) if takes_train_flag(layer) else layer.forward(x)
        return x

    def weight_decay(self):
        """0.5 * lambda * sum of squared weights (the 'W' parameters)."""
        lam = self.weight_decay_lambda
        if not lam:
            return 0.0
        return 0.5 * lam * sum(float((w * w).sum()) for key, w in self.params.items()
                               if key.startswith('W'))

    def loss(self, x, t, train_flg=None):
        """Softmax cross-entropy of predict(x) against t plus the weight-decay term."""
        train_flg = self.loss_train_flg if train_flg is None else train_flg
        y = self.predict(x, train_flg)
        return self.last_layer.forward(y, t) + self.weight_decay()

    def accuracy(self, x, t, batch_size=100):
        """Fraction of correct argmax predictions, evaluated in batches (test mode)."""
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        correct = 0
        for i in range(0, len(x), batch_size):
            y = self.predict(x[i:i + batch_size], train_flg=False)
            correct += int((y.argmax(axis=1) == t[i:i + batch_size]).sum())
        return correct / float(len(x))

    def gradient(self, x, t):
        """Gradients of ``loss`` for every key of ``params`` by backpropagation."""
        self.loss(x, t, train_flg=True)
        dout = self.last_layer.backward(1)
        for layer in reversed(self.layer_list()):
            dout = layer.backward(dout)
        grads = {}
        for key in self.params:
            layer, attr = self._slots[key]
            grad = getattr(layer, 'd' + attr)
            if self.weight_decay_lambda and key.startswith('W'):
                grad = grad + self.weight_decay_lambda * self.params[key]
            grads[key] = grad
        return grads

    def numerical_gradient(self, x, t, h=1e-4):
        """Central-difference gradients of ``loss`` for every key of ``params`` (slow).

        ``h`` is the book's 1e-4 by default; deep ReLU networks in float64 check
        more reliably with 1e-6 (a larger step pushes some units across 0).
        """
        def loss_w(_):
            return self.loss(x, t, train_flg=True)
        return {key: gradient_check.numerical_gradient(loss_w, self.params[key], h=h)
                for key in self.params}

    def save_params(self, file_name='params.npz'):
        """Save parameters and batch-norm running statistics to an .npz file."""
        serializers.save_npz(file_name, self)

    def load_params(self, file_name='params.npz'):
        """Load parameters saved by ``save_params`` into the existing arrays (in place)."""
        serializers.load_npz(file_name, self)

    @property
    def lastLayer(self):        # noqa: N802  (ch. 5 TwoLayerNet's name)
        return self.last_layer

    # ----- define-by-run view ---------------------------------------------------
    def forward(self, x):
        """Scores as a Variable, recorded in the graph (training behaviour follows
        ``config.train`` and ``self.training``)."""
        train = config.train and self.training
        for layer, params in self._layer_params:
            x = LayerFunction(layer, train)(x, *params)
        return x

    def forward_loss(self, x, t):
        """Loss Variable: softmax cross-entropy of ``self(x)`` plus weight decay."""
        loss = F.softmax_cross_entropy(self(x), t)
        if self.weight_decay_lambda:
            for key, p in self.params_by_key().items():
                if key.startswith('W'):
                    loss = loss + 0.5 * self.weight_decay_lambda * F.sum(p * p)
        return loss

    def params_by_key(self):
        return OrderedDict((key, getattr(self, key)) for key in self.params)

    # ----- devices: keep params, layers and Parameters on the same arrays --------
    def _move(self, convert):
        old_to_new = {}
        for key, array in list(self.params.items()):
            new = convert(array)
            old_to_new[id(array)] = new
            self.params[key] = new
            p = getattr(self, key)
            p.data, p.grad = new, convert(p.grad)
        for key, (layer, attr) in self._slots.items():
            setattr(layer, attr, self.params[key])
        for _, link, attr in self._persistent_slots():
            array = getattr(link, attr)
            new = old_to_new.setdefault(id(array), convert(array))
            object.__setattr__(link, attr, new)
        for i, layer in enumerate(self.batchnorm_layers(), 1):
            layer.running_mean = getattr(self, 'running_mean%d' % i)
            layer.running_var = getattr(self, 'running_var%d' % i)
        return self
