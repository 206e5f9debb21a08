"""Pictures of the define-by-run graph: its DOT text, rendered by Graphviz's ``dot``.

    y = F.sum(F.relu(F.linear(x, W, b)))
    keisan.utils.graph(y)                     # DOT text; Jupyter shows it as a picture
    keisan.utils.plot_graph(y, 'graph.png')   # graph.dot and graph.png

Functions are boxes labelled with their name (``linear``, ``relu``), variables ovals
labelled with their name (if any), shape and dtype. Parameters are filled, constants
(data and labels, which need no gradient) dashed, the variables asked for drawn bold.
Arrows go from each input to its function, in the order of the function's inputs, and
from the function to its outputs, so a picture reads from the data at the top to the
loss at the bottom. The walk is a loop over a stack, never a recursion: a chain of
100,000 operations is emitted in a second or so.

Rendering needs only the ``dot`` program (Debian/Ubuntu: ``apt-get install graphviz``);
without it, :func:`plot_graph` still writes the ``.dot`` file and raises
:class:`GraphvizNotFound` saying how to install it.
"""
import os
import shutil
import subprocess
from collections.abc import Mapping

from keisan import cuda
from keisan.core.variable import Parameter, Variable
from keisan.fileio import atomic_write

__all__ = ['FORMATS', 'Dot', 'GraphvizNotFound', 'graph', 'plot_graph', 'render']

#: file formats of :func:`plot_graph`, by the path's extension
FORMATS = ('png', 'svg', 'pdf', 'dot')
INSTALL_HINT = ('install Graphviz (Debian/Ubuntu: apt-get install graphviz; '
                'Fedora: dnf install graphviz; macOS: brew install graphviz)')

_HEADER = ('digraph keisan {\n'
           '  graph [rankdir=TB, ordering=in];\n'
           '  node [fontname="Helvetica", fontsize=10];\n'
           '  edge [color="#555555", arrowsize=0.7];\n')
#: the default attributes of each kind of node (nodes are written in one block per kind)
STYLES = {'function': 'shape=box, style="rounded,filled", fillcolor="#d6e6f5"',
          'parameter': 'shape=ellipse, style=filled, fillcolor="#fbd9a0"',
          'variable': 'shape=ellipse',
          'constant': 'shape=ellipse, style=dashed, color="#777777"'}
# Function attributes that are bookkeeping, not hyperparameters (hidden even when verbose).
_GRAPH_ATTRIBUTES = {'generation', 'inputs', 'outputs', 'needs_input_grad'}


class GraphvizNotFound(RuntimeError):
    """Graphviz's ``dot`` program is not on the PATH."""


class Dot(str):
    """DOT text (a ``str``) that Jupyter displays as a picture.

    ``_repr_svg_`` renders it with ``dot -Tsvg``; without Graphviz the notebook
    falls back to showing the text.
    """
    __slots__ = ()

    def _repr_svg_(self):
        try:
            return render(self, 'svg').decode('utf-8')
        except (GraphvizNotFound, RuntimeError):
            return None


def graph(outputs, verbose=False, names=None):
    """The DOT text of the graph that produced ``outputs``.

    Args:
        outputs: a Variable, or a sequence of Variables drawn in one picture.
        verbose: also show each variable's value (its elements when it has at
            most 4, else min/mean/max) and whether it holds a gradient, and each
            function's generation and scalar settings (``stride=1``, ``pad=0``).
        names: labels for variables, overriding ``Variable.name``: a mapping
            ``{name: variable}`` or (name, variable) pairs, e.g. a network's
            ``namedparams()`` to see ``W1``, ``b1`` instead of ``W``, ``b``.

    Returns:
        a :class:`Dot` string: one node per variable and function reached by
        walking back from ``outputs`` through ``Variable.creator`` and
        ``Function.inputs``, plus the other live outputs of those functions.
        Nodes are numbered in the order they are reached, so the same graph
        always gives the same text.
    """
    outputs = [outputs] if isinstance(outputs, Variable) else list(outputs)
    for y in outputs:
        if not isinstance(y, Variable):
            raise TypeError('graph: expected Variables, got %s' % type(y).__name__)
    pairs = names.items() if isinstance(names, Mapping) else (names or ())
    labels = {id(v): name for name, v in pairs}
    writer = _Writer(labels, {id(y) for y in outputs}, verbose)
    stack = []
    for y in outputs:
        writer.variable(y)
        if y.creator is not None:
            stack.append(y.creator)
    stack.reverse()                     # the first output's graph comes first
    while stack:
        f = stack.pop()
        if not writer.function(f):
            continue                    # reached before, through another path
        # Reversed, so that the first input's creator is drawn first.
        stack.extend(x.creator for x in reversed(f.inputs) if x.creator is not None)
    return Dot(writer.text())


class _Writer:
    """The nodes of one picture, in a block per kind, and its edges, in the order reached."""

    def __init__(self, labels, wanted, verbose):
        self.labels, self.wanted, self.verbose = labels, wanted, verbose
        self.ids = {}                   # id(variable or function) -> node name
        self.nodes = {kind: [] for kind in STYLES}
        self.edges = []
        self._shape_text = {}           # (shape, dtype) -> '(2, 3) float32': str(dtype) is slow
        self._function_label = {}       # Function class -> its escaped label

    def _node(self, obj, kind, label, extra=''):
        """A new node; ``label`` is DOT-escaped already."""
        name = self.ids[id(obj)] = 'n%d' % len(self.ids)
        self.nodes[kind].append('    %s [label="%s"%s];\n' % (name, label, extra))
        return name

    def variable(self, v):
        """The node name of Variable ``v`` (a new node the first time)."""
        name = self.ids.get(id(v))
        if name is not None:
            return name
        kind = ('parameter' if isinstance(v, Parameter) else
                'variable' if v.requires_grad else 'constant')
        given = self.labels.get(id(v), v.name)
        lines = [_escape(given)] if given else []
        if v.data is None:
            lines.append('uninitialized')
        else:
            key = (v.data.shape, v.data.dtype)
            text = self._shape_text.get(key)
            if text is None:
                text = self._shape_text[key] = '%s %s' % key
            lines.append(text)
            if self.verbose or not v.requires_grad:
                lines += _value_lines(v, self.verbose)
        return self._node(v, kind, '\\n'.join(lines),
                          ', penwidth=2' if id(v) in self.wanted else '')

    def function(self, f):
        """Add Function ``f`` and its edges; False if it was added before."""
        if id(f) in self.ids:
            return False
        label = self._function_label.get(type(f))
        if label is None:       # Function.label is per class; computing it is not free
            label = self._function_label[type(f)] = _escape(f.label)
        if self.verbose:
            label = '\\n'.join([label, 'generation %d' % f.generation]
                               + [_escape(setting) for setting in _settings(f)])
        name = self._node(f, 'function', label)
        self.edges += ['  %s -> %s;\n' % (self.variable(x), name) for x in f.inputs]
        for ref in f.outputs:
            y = ref()
            if y is not None:           # an output nobody holds any more is gone
                self.edges.append('  %s -> %s;\n' % (name, self.variable(y)))
        return True

    def text(self):
        blocks = ['  {\n    node [%s];\n%s  }\n' % (STYLES[kind], ''.join(nodes))
                  for kind, nodes in self.nodes.items() if nodes]
        return ''.join([_HEADER] + blocks + self.edges + ['}\n'])


def plot_graph(outputs, path, verbose=False, names=None):
    """Draw the graph of ``outputs`` into ``path`` (``.png``, ``.svg``, ``.pdf`` or ``.dot``).

    The DOT text is always written next to the picture (``graph.png`` ->
    ``graph.dot``), then ``dot`` renders it. ``verbose`` and ``names`` as for
    :func:`graph`.

    Returns:
        the :class:`Dot` text (shown as a picture in Jupyter).

    Raises:
        ValueError: an extension other than those of :data:`FORMATS`.
        GraphvizNotFound: no ``dot`` program; the ``.dot`` file has been written
            and the message says how to install Graphviz.
        RuntimeError: ``dot`` failed (its message is included).
    """
    path = os.fspath(path)
    root, ext = os.path.splitext(path)
    fmt = ext[1:].lower()
    if fmt not in FORMATS:
        raise ValueError('plot_graph: cannot draw %s: the file name must end in %s'
                         % (path, ', '.join('.' + f for f in FORMATS)))
    text = graph(outputs, verbose=verbose, names=names)
    dot_path = path if fmt == 'dot' else root + '.dot'
    with atomic_write(dot_path, 'w', encoding='utf-8') as f:
        f.write(text)
    if fmt != 'dot':
        try:
            picture = render(text, fmt)
        except GraphvizNotFound as e:
            raise GraphvizNotFound('%s; wrote %s, which Graphviz turns into %s with: '
                                   'dot -T%s %s -o %s' % (e, dot_path, path, fmt, dot_path,
                                                          path)) from None
        with atomic_write(path) as f:
            f.write(picture)
    return text


def render(text, fmt='svg'):
    """The bytes of DOT ``text`` drawn by Graphviz's ``dot`` in format ``fmt``."""
    program = shutil.which('dot')
    if program is None:
        raise GraphvizNotFound("Graphviz's dot program was not found on the PATH: "
                               + INSTALL_HINT)
    done = subprocess.run([program, '-T' + fmt], input=text.encode('utf-8'),
                          capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError('dot -T%s failed (exit code %d): %s'
                           % (fmt, done.returncode,
                              done.stderr.decode('utf-8', 'replace').strip()))
    return done.stdout


def _value_lines(v, verbose):
    """Lines showing the value of ``v``: its value for a scalar constant; with
    ``verbose`` its elements (at most 4) or min/mean/max, and whether it has a grad."""
    if not verbose:
        if not v.requires_grad and v.data.size == 1:          # a constant like 0.5
            return ['= %.4g' % cuda.to_cpu(v.data).item()]
        return []
    data = cuda.to_cpu(v.data)
    if data.size <= 4:
        lines = [' '.join('%.4g' % value for value in data.ravel())]
    elif data.dtype.kind in 'fiub':
        lines = ['min %.3g, mean %.3g, max %.3g' % (data.min(), data.mean(), data.max())]
    else:
        lines = []
    return lines + ['grad: yes' if v.grad is not None else 'grad: none']


def _settings(f):
    """'stride=1', 'pad=0', ...: the scalar attributes of Function ``f``."""
    return ['%s=%s' % (key, value) for key, value in sorted(vars(f).items())
            if key not in _GRAPH_ATTRIBUTES and not key.startswith('_')
            and not key.endswith('shape') and _is_setting(value)]


def _is_setting(value):
    """True for scalars, strings and short tuples of them (hyperparameters, not arrays)."""
    if isinstance(value, (bool, int, float, str)):
        return True
    return (isinstance(value, tuple) and len(value) <= 4
            and all(isinstance(v, (bool, int, float)) for v in value))


def _escape(text):
    return text.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')
