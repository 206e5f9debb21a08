"""The networks of "Deep Learning from Scratch", with the book's API and a define-by-run view."""
from keisan.models.base import BookNetwork
from keisan.models.deep_conv_net import DeepConvNet
from keisan.models.multi_layer_net import MultiLayerNet, MultiLayerNetExtend
from keisan.models.simple_conv_net import SimpleConvNet
from keisan.models.two_layer_net import TwoLayerNet

__all__ = ['BookNetwork', 'DeepConvNet', 'MultiLayerNet',
           'MultiLayerNetExtend', 'SimpleConvNet', 'TwoLayerNet']
