"""Output layers with a loss: SoftmaxWithLoss and MeanSquaredLoss."""
import numpy as np

from keisan.cuda import get_array_module
from keisan.functions.loss import MeanSquaredError, SoftmaxCrossEntropy


class SoftmaxWithLoss:
    """Softmax followed by cross-entropy; ``t`` integer labels (N,) (or a column (N, 1), as
    the book's ch. 7 gradient check passes them) or one-hot (N, C).

    ``y`` holds the softmax output; ``backward(dout=1)`` returns dout * (y - t) / N.
    """

    def __init__(self):
        self.loss = None
        self.y = None
        self.t = None

    def forward(self, x, t):
        self._fn = SoftmaxCrossEntropy()
        labels = t
        if t.ndim == 2 and t.shape[1] == 1 and x.shape[-1] != 1 and t.dtype.kind in 'iu':
            labels = t.reshape(len(t))      # labels as a column (the book's ch. 7 check)
        self.loss = self._fn.forward(x, labels)
        self.y, self.t = self._fn.y, t
        return self.loss

    def backward(self, dout=1):
        dout = get_array_module(self.y).asarray(dout, dtype=self.y.dtype)
        return self._fn.backward(dout)[0]


class MeanSquaredLoss:
    """The book's squared error: loss = 0.5 * sum((y - t)**2) / N; backward (y - t) / N."""

    def __init__(self):
        self.loss = None
        self.y = None
        self.t = None

    def forward(self, y, t):
        self._fn = MeanSquaredError()
        self.y, self.t = y, t
        # mean over all elements * size / (2 N) is the book's 0.5 * sum / N.
        self._scale = y.size / (2.0 * len(y))
        self.loss = self._fn.forward(y, t) * np.asarray(self._scale, dtype=y.dtype)
        return self.loss

    def backward(self, dout=1):
        dout = get_array_module(self.y).asarray(dout * self._scale, dtype=self.y.dtype)
        return self._fn.backward(dout)[0]
