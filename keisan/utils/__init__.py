"""Utilities for looking at what keisan computes: pictures of the define-by-run graph.

>>> import keisan.utils                                   # doctest: +SKIP
>>> keisan.utils.plot_graph(loss, 'graph.svg')            # doctest: +SKIP
"""
from keisan.utils.computational_graph import (FORMATS, Dot, GraphvizNotFound, graph,
                                              plot_graph, render)

__all__ = ['FORMATS', 'Dot', 'GraphvizNotFound', 'graph', 'plot_graph', 'render']
