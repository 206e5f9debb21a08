"""Array kernels shared by Functions and the book's layers (written once, on ``xp``)."""
from keisan.kernels.broadcast import sum_to
from keisan.kernels.sigmoid import sigmoid
from keisan.kernels.softmax import log_softmax, softmax
from keisan.kernels.windows import (accumulate_windows, col2im, column_blocks, conv_output_size,
                                    im2col, pair, windows)

__all__ = ['accumulate_windows', 'col2im', 'column_blocks', 'conv_output_size', 'im2col',
           'log_softmax', 'pair', 'sigmoid', 'softmax', 'sum_to', 'windows']
