"""Convolution and (max) Pooling layers built on im2col."""
from keisan.functions.convolution import Convolution2D
from keisan.functions.pooling import MaxPooling2D
from keisan.kernels import im2col


class Convolution:
    """Convolution with W (FN, C, FH, FW) and b (FN,); x (N, C, H, W) -> (N, FN, OH, OW).

    Keeps the book's attributes: ``x``, ``col`` (the im2col matrix in the book's
    (N*OH*OW, C*FH*FW) layout, built on access), ``col_W`` (W as a (C*FH*FW, FN)
    matrix), and fills ``dW``, ``db`` on backward. ``compute_dx = False`` skips
    dx and its col2im (``backward`` returns None): the networks set it on their
    first layer, whose input is data.
    """

    def __init__(self, W, b, stride=1, pad=0):
        self.W = W
        self.b = b
        self.stride = stride
        self.pad = pad
        self.x = None
        self.col_W = None
        self.dW = None
        self.db = None
        self.compute_dx = True
        self._fn = None

    @property
    def col(self):
        """The book's im2col matrix of the last input, (N*OH*OW, C*FH*FW), made on access
        (the Function never keeps it whole: it works on cache-sized blocks)."""
        if self.x is None:
            return None
        return im2col(self.x, self.W.shape[2], self.W.shape[3], self.stride, self.pad)

    def forward(self, x):
        self._fn = Convolution2D(self.stride, self.pad)
        out = self._fn.forward(x, self.W, self.b)
        self.x, self.col_W = x, self._fn.w_mat.T
        return out

    def backward(self, dout):
        self._fn.needs_input_grad = (self.compute_dx, True, True)
        dx, self.dW, *db = self._fn.backward(dout)
        self.db = db[0] if db else None
        return dx


class Pooling:
    """Max pooling over pool_h x pool_w windows (the book's default stride is 1).

    With ``pad > 0`` the padding is zeros that take part in the max, as in the book
    (``F.max_pooling_2d`` never lets padding win).
    """

    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad
        self.x = None
        self._fn = None

    def forward(self, x):
        self._fn = MaxPooling2D((self.pool_h, self.pool_w), self.stride, self.pad, pad_value=0)
        out = self._fn.forward(x)
        self.x = x
        return out

    @property
    def arg_max(self):
        """Index of each window's max (the book's attribute), computed on access."""
        return None if self._fn is None else self._fn.argmax.reshape(-1)

    def backward(self, dout):
        return self._fn.backward(dout)
