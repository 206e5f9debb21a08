"""keisan.utils.graph / plot_graph and ``keisan graph``: the DOT text of diamonds,
multi-output functions, reused variables and long chains; rendering with and without
Graphviz's dot."""
import re
import shutil
import time

import numpy as np
import pytest

import keisan as ks
import keisan.functions as F
from keisan import cli
from keisan.utils import Dot, GraphvizNotFound, graph, plot_graph

needs_dot = pytest.mark.skipif(shutil.which('dot') is None,
                               reason="Graphviz's dot is not installed (apt-get install graphviz)")
PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


def parse(text):
    """(labels {node: label}, edges [(tail, head)], kinds {node: block style}) of DOT text."""
    labels, kinds, edges, style = {}, {}, [], None
    for line in text.splitlines():
        line = line.strip()
        block = re.match(r'node \[(shape=.*)\];$', line)
        if block:
            style = block.group(1)
        node = re.match(r'(n\d+) \[label="((?:[^"\\]|\\.)*)"', line)
        if node:
            labels[node.group(1)] = node.group(2)
            kinds[node.group(1)] = style
        edge = re.match(r'(n\d+) -> (n\d+);$', line)
        if edge:
            edges.append(edge.groups())
    return labels, edges, kinds


def node_of(labels, label):
    found = [n for n, text in labels.items() if text == label]
    assert len(found) == 1, (label, labels)
    return found[0]


def var(shape, name=None, dtype=np.float64):
    return ks.Variable(np.random.rand(*shape).astype(dtype), name=name)


def test_labels_shapes_dtypes_and_kinds():
    x = var((2, 3), 'x', np.float32)
    W = ks.Parameter(np.ones((3, 4), np.float32), name='W')
    y = F.sum(F.relu(x @ W + 0.5))
    text = graph(y)
    assert isinstance(text, Dot) and isinstance(text, str)
    assert text.startswith('digraph keisan {') and text.rstrip().endswith('}')
    labels, edges, kinds = parse(text)
    assert sorted(v for k, v in labels.items() if 'box' in kinds[k]) == \
        ['add', 'matmul', 'relu', 'sum']
    assert 'fillcolor' in kinds[node_of(labels, r'W\n(3, 4) float32')]      # a parameter
    assert 'dashed' in kinds[node_of(labels, r'() float32\n= 0.5')]          # a constant
    assert kinds[node_of(labels, r'x\n(2, 3) float32')] == 'shape=ellipse'
    assert '%s [label="() float32", penwidth=2]' % node_of(labels, '() float32') in text
    assert len(labels) == 11 and len(edges) == 10       # 4 functions, 7 variables


def test_diamond_draws_each_node_once():
    x = var((3,), 'x')
    a, b = x * 2.0, F.exp(x)
    y = a + b
    labels, edges, _ = parse(graph(y))
    x_node = node_of(labels, r'x\n(3,) float64')
    add = node_of(labels, 'add')
    assert sum(1 for tail, _ in edges if tail == x_node) == 2      # to mul and exp
    assert len([e for e in edges if e[1] == add]) == 2
    assert len(labels) == 8          # x, 2.0, a, b, y + mul, exp, add
    assert len(edges) == len(set(edges)) == 8


def test_reused_variable_keeps_one_edge_per_use_in_input_order():
    x, z = var((2,), 'x'), var((2,), 'z')
    labels, edges, _ = parse(graph(x * x))
    mul, x_node = node_of(labels, 'mul'), node_of(labels, r'x\n(2,) float64')
    assert edges.count((x_node, mul)) == 2
    labels, edges, _ = parse(graph(z - x))
    sub = node_of(labels, 'sub')
    into_sub = [tail for tail, head in edges if head == sub]
    assert into_sub == [node_of(labels, r'z\n(2,) float64'), node_of(labels, r'x\n(2,) float64')]
    assert 'ordering=in' in graph(z - x)         # dot keeps that order left to right


class SplitHalves(ks.Function):
    """A two-output function: the first and second half of a vector."""

    def forward(self, x):
        n = len(x) // 2
        return x[:n], x[n:]

    def backward(self, ga, gb):
        return np.concatenate([ga, gb])


def test_multi_output_function_shows_its_live_outputs():
    x = var((4,), 'x')
    a, b = SplitHalves()(x)
    a.name, b.name = 'a', 'b'
    labels, edges, _ = parse(graph(a * 3.0))
    split = node_of(labels, 'split_halves')
    assert (split, node_of(labels, r'a\n(2,) float64')) in edges
    assert (split, node_of(labels, r'b\n(2,) float64')) in edges      # a sibling output
    labels, edges, _ = parse(graph([a, b]))       # several outputs in one picture
    assert len(labels) == 4 and len(edges) == 3
    del b                                          # a freed output is no longer drawn
    labels, edges, _ = parse(graph(a))
    assert len([e for e in edges if e[0] == node_of(labels, 'split_halves')]) == 1
    assert r'b\n(2,) float64' not in labels.values()


def test_long_chain_is_walked_without_recursion_in_seconds():
    x = var((1,), 'x')
    y = x
    for _ in range(100_000):
        y = F.relu(y)
    start = time.perf_counter()
    text = graph(y)
    seconds = time.perf_counter() - start
    assert text.count(' -> ') == 200_000
    assert text.count('[label="relu"]') == 100_000
    assert seconds < 10, seconds        # about 1 s on an idle 2-core machine


def test_leaf_names_verbose_and_errors():
    x = var((2,), 'x')
    labels, edges, _ = parse(graph(x))
    assert list(labels.values()) == [r'x\n(2,) float64'] and edges == []

    net = ks.models.SimpleConvNet((1, 8, 8), {'filter_num': 2, 'filter_size': 3, 'pad': 1,
                                              'stride': 1}, hidden_size=4, output_size=3)
    loss = net.forward_loss(np.zeros((1, 1, 8, 8), np.float32), np.array([1]))
    labels, _, _ = parse(graph(loss, names=net.namedparams()))
    for key in ('W1', 'b1', 'W2', 'b2', 'W3', 'b3'):
        assert sum(1 for text in labels.values() if text.startswith(key + r'\n')) == 1
    verbose = graph(loss, verbose=True, names={'first filters': net.W1})
    assert 'first filters' in verbose
    assert re.search(r'convolution_2d\\ngeneration 0\\n.*pad=1\\nstride=1"', verbose)
    assert 'grad: none' in verbose and 'min ' in verbose

    quoted = var((1,), 'say "hi"\\')
    assert r'say \"hi\"\\' in graph(quoted)
    with pytest.raises(TypeError, match='expected Variables'):
        graph(np.zeros(3))


def test_plot_graph_dot_and_bad_extension(tmp_path):
    y = F.sum(var((2,), 'x') * 2.0)
    assert plot_graph(y, tmp_path / 'g.dot') == graph(y)
    assert (tmp_path / 'g.dot').read_text() == graph(y)
    with pytest.raises(ValueError, match=r'\.png, \.svg, \.pdf, \.dot'):
        plot_graph(y, tmp_path / 'g.jpg')
    assert not (tmp_path / 'g.jpg').exists()


@needs_dot
def test_plot_graph_renders_png_svg_pdf(tmp_path):
    y = F.sum(var((2,), 'x') * 2.0)
    plot_graph(y, tmp_path / 'g.png')
    png = (tmp_path / 'g.png').read_bytes()
    assert png.startswith(PNG_SIGNATURE) and len(png) > 1000
    assert (tmp_path / 'g.dot').read_text() == graph(y)
    plot_graph(y, tmp_path / 'g.svg')
    assert '<svg' in (tmp_path / 'g.svg').read_text()
    plot_graph(y, tmp_path / 'g.pdf')
    assert (tmp_path / 'g.pdf').read_bytes().startswith(b'%PDF')
    svg = graph(y)._repr_svg_()
    assert '<svg' in svg and '>mul<' in svg


@pytest.fixture
def no_dot(monkeypatch, tmp_path):
    empty = tmp_path / 'empty-path'
    empty.mkdir()
    monkeypatch.setenv('PATH', str(empty))
    assert shutil.which('dot') is None


def test_without_dot_the_dot_file_is_written_and_the_error_says_how_to_install(tmp_path,
                                                                                no_dot):
    y = F.sum(var((2,), 'x') * 2.0)
    with pytest.raises(GraphvizNotFound, match='apt-get install graphviz') as error:
        plot_graph(y, tmp_path / 'g.png')
    assert str(tmp_path / 'g.dot') in str(error.value)
    assert (tmp_path / 'g.dot').read_text() == graph(y)
    assert not (tmp_path / 'g.png').exists()
    assert graph(y)._repr_svg_() is None        # Jupyter falls back to the text


@needs_dot
def test_cli_graph_draws_a_book_network(tmp_path, capsys):
    out = tmp_path / 'g.svg'
    assert cli.main(['graph', '--model', 'simple_conv', '--out', str(out)]) == 0
    assert 'g.dot and' in capsys.readouterr().out
    assert '<svg' in out.read_text()
    labels, _, kinds = parse((tmp_path / 'g.dot').read_text())
    assert r'W1\n(30, 1, 5, 5) float32' in labels.values()
    assert r'x\n(2, 1, 28, 28) float32' in labels.values()
    assert r'loss\n() float32' in labels.values()
    assert sorted(v for k, v in labels.items() if 'box' in kinds[k]) == [
        'convolution_2d', 'linear', 'linear', 'max_pooling_2d', 'relu', 'relu',
        'softmax_cross_entropy']


def test_cli_graph_without_dot_and_bad_names(tmp_path, capsys, no_dot):
    out = tmp_path / 'g.png'
    assert cli.main(['graph', '--model', 'two_layer', '--out', str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith('keisan graph: error: ') and 'apt-get install graphviz' in err
    assert (tmp_path / 'g.dot').is_file() and not out.exists()
    assert cli.main(['graph', '--model', 'two_layer', '--out', str(tmp_path / 'g.gif')]) == 2
    assert '.png, .svg' in capsys.readouterr().err
    assert cli.main(['graph', '--model', 'mlp', '--out', str(tmp_path / 'm.dot')]) == 0
    assert 'W7' in (tmp_path / 'm.dot').read_text()
