"""BookNetwork: a network of the book, as a Chain of keisan links with the book's API on top.

A book network is built from blocks in the book's layer order: links for the layers
with parameters (``L.Linear`` for Affine, ``L.Convolution2D``, ``L.BatchNormalization``)
and parameter-free book layers (Relu, Pooling, Dropout). The links own the
Parameters; the book's interface views *the same arrays*:

* ``params``: the book's dict of arrays, keyed ``W1``, ``b1``, ``gamma1``, ... (a key is
  the parameter's name and its count among the blocks so far);
* ``layers``: the book's layers, each link seen as its book layer (``link.book_layer()``);
* ``predict``, ``loss``, ``accuracy``, ``gradient`` (the book's backward walk through
  ``layers``) and ``numerical_gradient``; ``loss_and_scores`` gives the loss and the
  scores of one forward pass (an evaluation's loss and accuracy).

``network(x)`` runs the blocks in the define-by-run graph; the book keys also name the
Parameters (``namedparams()``, ``state_dict()``, optimizer states). Optimizers update the
arrays in place, so ``params``, the layers and the Parameters always agree::

    grads = net.gradient(x, t); opt.update(net.params, grads)   # book style
    loss = net.forward_loss(x, t); loss.backward(); opt.update() # define-by-run
"""
import contextlib
import os
from collections import Counter, OrderedDict

import numpy as np

from keisan import functions as F
from keisan import gradient_check, pickles, serializers
from keisan.config import config
from keisan.cuda import get_array_module
from keisan.links.link import Link


def class_labels(t):
    """The class of each example: ``t`` itself for labels (N,), the argmax of each row
    for one-hot rows (N, C) (the book's ``accuracy``)."""
    return t if t.ndim == 1 else t.argmax(axis=1)


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
    """Base of the book's networks; a subclass calls :meth:`_build` with its blocks and sets
    ``last_layer``.

    ``weight_decay_lambda`` is the book's L2 strength: the loss gains
    ``0.5 * lambda * sum(W**2)`` over the weights ``W1``, ``W2``, ... (not the biases),
    so each weight's gradient gains ``lambda * W``, in both APIs.
    Class attribute ``loss_train_flg``: whether ``loss(x, t)`` runs dropout and batch
    norm in training mode by default (True for DeepConvNet, as in the book).
    """
    loss_train_flg = False

    def __init__(self, weight_decay_lambda=0.0, dtype=None):
        super().__init__()
        self.weight_decay_lambda = weight_decay_lambda
        self.dtype = np.dtype(dtype or config.dtype)

    def _build(self, blocks, layers_as_list=False):
        """Register ``blocks``, (name, link or book layer) pairs in order, and make the book's
        ``params`` and ``layers`` views (``layers`` a list with ``layers_as_list``)."""
        self._blocks = [block for _, block in blocks]
        self._views = []                    # (link, its book layer)
        self._keys = OrderedDict()          # book key -> Parameter
        self._persistent_keys = []          # (book key, link, attribute)
        self._grad_slots = []               # (book key, book layer, parameter attribute)
        counts = Counter()
        layers = OrderedDict()
        for name, block in blocks:
            if isinstance(block, Link):
                setattr(self, name, block)
                layer = block.book_layer()
                self._views.append((block, layer))
                for attr in block._param_names:
                    counts[attr] += 1
                    self._keys['%s%d' % (attr, counts[attr])] = getattr(block, attr)
                    self._grad_slots.append(('%s%d' % (attr, counts[attr]), layer, attr))
                for attr in block._persistent_names:
                    counts[attr] += 1
                    self._persistent_keys.append(('%s%d' % (attr, counts[attr]), block, attr))
            else:
                layer = block
            layers[name] = layer
        self.layers = list(layers.values()) if layers_as_list else layers
        self.params = ParamsDict(self)
        self._sync_views()
        first = self.layer_list()[0]
        first.compute_dx = False        # its input is data: skip dx (and col2im)

    def _sync_views(self):
        """Point ``params`` and the book layers at the links' current arrays."""
        for key, param in self._keys.items():
            self.params[key] = param.data
        for link, layer in self._views:
            for attr in link._param_names:
                setattr(layer, attr, getattr(link, attr).data)
            for attr in link._persistent_names:
                setattr(layer, attr, getattr(link, attr))

    # ----- names: the book's keys -----------------------------------------------
    def namedparams(self, include_uninit=True):
        """(book key, Parameter) pairs: ('W1', W1), ('b1', b1), ..."""
        return iter(self._keys.items())

    def _persistent_slots(self):
        return iter(self._persistent_keys)

    def params_by_key(self):
        """OrderedDict book key -> Parameter."""
        return OrderedDict(self._keys)

    def __getattr__(self, name):
        # net.W1 is the Parameter of key 'W1' (only reached for names not set otherwise)
        keys = self.__dict__.get('_keys')
        if keys is not None and name in keys:
            return keys[name]
        raise AttributeError('%s has no attribute %r' % (type(self).__name__, name))

    # ----- the book's API -------------------------------------------------------
    def layer_list(self):
        return list(self.layers.values()) if isinstance(self.layers, dict) else self.layers

    def predict(self, x, train_flg=False):
        """Scores (N, output_size) for x, running the book's layers.

        In test mode (``train_flg`` False) a large batch goes through in blocks of images
        (:meth:`_in_blocks`): the same scores; the layers then hold the last block's
        inputs (``layer.x``)."""
        if train_flg:
            return self._run_layers(x, True)[0]
        return self._in_blocks(lambda xs: self._run_layers(xs, False), x,
                               lambda parts: get_array_module(parts[0]).concatenate(parts))

    def _run_layers(self, x, train_flg):
        """(scores, bytes of the largest activation) of the book's layers on x."""
        largest = 0
        for layer in self.layer_list():
            x = layer.forward(x, train_flg)
            largest = max(largest, x.nbytes)
        return x, largest

    #: Test-mode batches run in blocks whose largest activation is about this size.
    #: Larger arrays are fresh pages from the kernel at every allocation (glibc returns
    #: blocks over 32 MB to the system when freed), which measured 14% of DeepConvNet's
    #: inference of 1000 images; smaller blocks are reused from the heap and stay nearer
    #: the cache (0.9x the time for DeepConvNet, 0.65-0.75x for SimpleConvNet, same scores;
    #: 4-12 MB were alike for DeepConvNet, 4 MB best for SimpleConvNet).
    INFERENCE_BLOCK_BYTES = 4 << 20

    def _in_blocks(self, run, x, concat):
        """``run(x)[0]`` for a test-mode pass, computed in equal blocks of images (32 or
        more) whose largest activation is about :attr:`INFERENCE_BLOCK_BYTES`.
        ``run(xs)`` -> (scores, bytes of the largest activation); ``concat`` joins the
        blocks' scores. The first batch of a shape and dtype runs whole and tells the
        activation bytes per image."""
        if not hasattr(x, 'shape') or len(x) == 0:
            return run(x)[0]
        key = (tuple(x.shape[1:]), str(x.dtype))
        known = self.__dict__.setdefault('_activation_bytes', {})
        if key not in known:
            y, largest = run(x)
            known[key] = largest / len(x)
            return y
        step = max(64, int(self.INFERENCE_BLOCK_BYTES // max(known[key], 1)))
        blocks = -(-len(x) // step)
        if blocks == 1:
            return run(x)[0]
        step = -(-len(x) // blocks)
        return concat([run(x[i:i + step])[0] for i in range(0, len(x), step)])

    def weight_decay(self):
        """0.5 * lambda * sum of squared weights (the 'W' parameters)."""
        lam = self.weight_decay_lambda
        if not lam:
            return 0.0
        return 0.5 * lam * sum(float((w * w).sum()) for key, w in self.params.items()
                               if key.startswith('W'))

    def loss(self, x, t, train_flg=None):
        """Softmax cross-entropy of predict(x) against t plus the weight-decay term."""
        return self.loss_and_scores(x, t, train_flg)[0]

    def loss_and_scores(self, x, t, train_flg=None):
        """``(loss(x, t), predict(x))`` from one forward pass: the loss and the scores
        (N, output_size) it was computed from, whose argmax is the prediction."""
        train_flg = self.loss_train_flg if train_flg is None else train_flg
        y = self.predict(x, train_flg)
        return self.last_layer.forward(y, t) + self.weight_decay(), y

    def accuracy(self, x, t, batch_size=100):
        """Fraction of correct argmax predictions, evaluated in batches (test mode)."""
        if len(x) == 0:
            raise ValueError('%s.accuracy: the batch is empty (x has shape %s)'
                             % (type(self).__name__, x.shape))
        t = class_labels(t)
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
        lam = self.weight_decay_lambda
        grads = {}
        for key, layer, attr in self._grad_slots:
            grad = getattr(layer, 'd' + attr)       # the book's name: dW for W
            grads[key] = grad + lam * self.params[key] if lam and key.startswith('W') else grad
        return grads

    def numerical_gradient(self, x, t, h=1e-4):
        """Central-difference gradients of ``loss`` for every key of ``params`` (slow).

        The loss is evaluated in float64, on float64 copies of the parameters and
        running statistics (the network's own arrays are untouched), whatever the
        network's dtype: a difference of two float32 losses divided by 2h keeps about
        three digits, and a float32 network would show differences of 1e-4 to 1e-3
        against backprop where the book's float64 code prints 1e-10 to 1e-7. The
        gradients come back in the parameters' dtype.

        ``h`` is the book's 1e-4 by default; deep ReLU networks check more reliably
        with 1e-6 (a larger step pushes some units across 0).
        """
        xp = self.xp
        if x.dtype.kind == 'f':
            x = x.astype(xp.float64)
        dtypes = {key: value.dtype for key, value in self.params.items()}
        with self._computing_in(xp.float64):
            def loss_w(_):
                return self.loss(x, t, train_flg=True)
            grads = {key: gradient_check.numerical_gradient(loss_w, self.params[key], h=h)
                     for key in self.params}
        return {key: g.astype(dtypes[key], copy=False) for key, g in grads.items()}

    @contextlib.contextmanager
    def _computing_in(self, dtype):
        """Point ``params``, the book layers and the Parameters at ``dtype`` copies of the
        arrays (running statistics included) for the block, then back at the originals."""
        params = [(p, p.data) for p in self._keys.values()]
        persistents = [(link, attr, getattr(link, attr)) for _, link, attr in
                       self._persistent_keys]
        try:
            for p, data in params:
                p.data = data.astype(dtype)
            for link, attr, value in persistents:
                object.__setattr__(link, attr, value.astype(dtype))
            self._sync_views()
            yield
        finally:
            for p, data in params:
                p.data = data
            for link, attr, value in persistents:
                object.__setattr__(link, attr, value)
            self._sync_views()

    def astype(self, dtype):
        """Convert the parameters and running statistics to ``dtype`` (in place, like
        ``to_gpu``: ``params`` and the layers then hold the new arrays); returns self."""
        self.dtype = np.dtype(dtype)
        return self._move(lambda a: None if a is None else a.astype(self.dtype, copy=False))

    def save_params(self, file_name='params.npz'):
        """Save parameters and batch-norm running statistics to an .npz file."""
        serializers.save_npz(file_name, self)

    def load_params(self, file_name='params.npz'):
        """Load parameters into the existing arrays (in place), from an ``.npz`` written by
        ``save_params`` or a pickle of the book's ``params`` dict (the book's ``.pkl``
        files, e.g. ch08's ``deep_convnet_params.pkl``), told apart by their content.

        A pickle is read by :mod:`keisan.pickles`, which refuses anything but plain data
        before building any of it. Its keys are the book's (``W1``, ``b1``, ``gamma1``,
        ...); its float arrays are converted to the network's dtype. The book pickles
        ``params`` only, so batch norm's running statistics (``running_mean1``, ...)
        are read when the dict has them and otherwise keep their current values (a new
        network's zeros: run a few batches with ``predict(x, train_flg=True)`` before
        evaluating). A missing or unknown key or a wrong shape raises ValueError naming
        it, and then nothing is loaded.
        """
        path = os.fspath(file_name)
        if not os.path.isfile(path):
            raise FileNotFoundError('load_params: no such file: %s' % path)
        with open(path, 'rb') as f:
            head = f.read(2)
        if not pickles.is_pickle(head):
            serializers.load_npz(path, self)
            return
        arrays = pickles.load(path, where='load_params')
        try:
            self.load_state_dict(self._book_state(arrays))
        except ValueError as e:
            raise ValueError('load_params(%s): %s' % (path, e)) from None

    def _book_state(self, arrays):
        """A state dict for ``load_state_dict`` from the book's dict of arrays ``arrays``."""
        if not isinstance(arrays, dict):
            raise ValueError('the pickle holds a %s, not the book\'s dict of arrays'
                             % type(arrays).__name__)
        state = {}
        for key, value in arrays.items():
            if not isinstance(value, np.ndarray):
                raise ValueError('%r is a %s, not an array' % (key, type(value).__name__))
            state[key] = value          # load_state_dict rounds floats to the network's dtype
        for key, value in self.namedpersistents():
            if key not in state and value is not None:
                state[key] = value              # keeps its values: the book saves none
        return state

    @property
    def lastLayer(self):        # noqa: N802  (ch. 5 TwoLayerNet's name)
        return self.last_layer

    # ----- define-by-run ----------------------------------------------------------
    def forward(self, x):
        """Scores as a Variable, recorded in the graph (training behaviour follows
        ``config.train`` and ``self.training``). Under ``no_grad`` in test mode a large
        batch goes through in blocks of images, as in :meth:`predict`."""
        if config.enable_backprop or (config.train and self.training):
            return self._run_blocks(x)[0]
        return self._in_blocks(self._run_blocks, x, lambda parts: F.concat(parts, axis=0))

    def _run_blocks(self, x):
        """(scores, bytes of the largest activation) of the define-by-run blocks on x."""
        largest = 0
        for block in self._blocks:
            x = block(x)
            largest = max(largest, x.size * x.dtype.itemsize)      # Variable or array
        return x, largest

    def forward_loss(self, x, t):
        """Loss Variable: softmax cross-entropy of ``self(x)`` plus weight decay."""
        loss = F.softmax_cross_entropy(self(x), t)
        lam = self.weight_decay_lambda
        if lam:
            for key, p in self._keys.items():
                if key.startswith('W'):
                    loss = loss + 0.5 * lam * F.sum(p * p)
        return loss

    def _move(self, convert):
        super()._move(convert)
        self._sync_views()
        return self
