"""Layer: the book's layer interface, computed by the keisan Function the layer builds.

A book layer holds its parameter arrays (``Affine.W``, ``Affine.b``) and offers
``forward(x)`` / ``backward(dout)`` on arrays, as in "Deep Learning from Scratch".
The arithmetic is not here: :meth:`Layer.function` builds the matching Function of
:mod:`keisan.functions` (``Affine`` -> ``Linear``), and the layer calls that
Function's ``forward``/``backward``. Calling a layer on a Variable records the same
Function in the graph, so a book layer also works in define-by-run code.
"""
from keisan.config import config


class Layer:
    """Base of the book's layers.

    Subclasses set ``param_names``, the attributes holding the parameter arrays in the
    order the Function takes them after x (``('W', 'b')``), and implement
    :meth:`function`. ``backward`` stores the gradient of parameter ``W`` as ``dW``
    (the book's names: ``dW``, ``db``, ``dgamma``, ``dbeta``) and returns dx, unless
    ``compute_dx`` is False (the networks set it on their first layer, whose input
    is data): then the layer skips dx and returns None.
    """
    param_names = ()
    compute_dx = True
    _fn = None

    def function(self, train=True):
        """A new Function computing this layer on ``(x, *parameters)``; ``train``
        selects training behaviour (dropout, batch statistics)."""
        raise NotImplementedError

    def param_arrays(self):
        """The parameter arrays, in the Function's input order (a missing bias is left out)."""
        arrays = [getattr(self, name) for name in self.param_names]
        return [a for a in arrays if a is not None]

    def forward(self, x, train_flg=True):
        """out = this layer applied to the array x (``train_flg``: training behaviour)."""
        self._fn = self.function(train_flg)
        return self._fn.forward(x, *self.param_arrays())

    def backward(self, dout=1):
        """dx for the upstream gradient ``dout``; fills the parameter gradients."""
        if self._fn is None:
            raise RuntimeError('%s.backward: call forward first (backward needs what the '
                               'forward pass kept)' % type(self).__name__)
        fn = self._fn
        fn.needs_input_grad = (self.compute_dx,) + (True,) * len(self.param_names)
        grads = fn.backward(dout)
        dx, *param_grads = grads if isinstance(grads, tuple) else (grads,)
        for name, grad in zip(self.param_names, param_grads):
            setattr(self, 'd' + name, grad)
        return dx

    def __call__(self, x):
        """Record this layer in the graph: a Variable for a Variable (or array) ``x``.
        The parameter arrays enter as constants; ``config.train`` selects the mode."""
        return self.function(config.train)(x, *self.param_arrays())
