"""Links: parameterized building blocks (``import keisan.links as L``)."""
from keisan.links.convolution import Convolution2D
from keisan.links.link import Chain, ChainList, Link, Sequential
from keisan.links.linear import Linear
from keisan.links.normalization import BatchNormalization

__all__ = ['BatchNormalization', 'Chain', 'ChainList', 'Convolution2D', 'Linear', 'Link',
           'Sequential']
