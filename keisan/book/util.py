"""The book's ``common/util.py``: im2col and col2im, the smoothing of loss curves, the
shuffling of a data set and the (float) output size of a convolution."""
import numpy as np

from keisan.kernels import col2im, im2col
from keisan.kernels.book_helpers import conv_output_size, shuffle_dataset, smooth_curve

__all__ = ['col2im', 'conv_output_size', 'im2col', 'np', 'shuffle_dataset', 'smooth_curve']
