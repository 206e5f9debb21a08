"""The examples of docs/HIGHER_ORDER.md run as written and do what the text says."""
import os
import re

import numpy as np
import pytest

import keisan as ks

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope='module')
def after():
    """The ```python blocks of the page run in order in one namespace; after[i] is a copy
    of the namespace once block i has run."""
    with open(os.path.join(ROOT, 'docs', 'HIGHER_ORDER.md'), encoding='utf-8') as f:
        blocks = re.findall(r'```python\n(.*?)```', f.read(), re.S)
    assert len(blocks) == 5
    ns, snapshots = {}, []
    np.random.seed(0)
    for i, block in enumerate(blocks):
        exec(compile(block, 'HIGHER_ORDER.md block %d' % i, 'exec'), ns)
        snapshots.append(dict(ns))
    return snapshots


def test_the_opening_example(after):
    ns = after[0]
    assert ns['x'].grad == 44.0 and type(ns['x'].grad) is np.ndarray
    assert isinstance(ns['gx'], ns['ks'].Variable) and ns['gx'].data == 24.0


def test_a_function_with_backward_graph(after):
    ns = after[1]
    assert ns['ks'].grad(ns['g'], ns['x'])[0] == 12.0


def test_newton_converges_in_a_handful_of_steps(after):
    ns = after[2]
    assert ns['newton_steps'] <= 6
    assert np.allclose(ns['x'].data, 1.0, rtol=0, atol=1e-10)


def test_gradient_descent_is_still_far_after_a_thousand_steps(after):
    assert np.abs(after[3]['x'].data - 1.0).max() > 0.3


def test_the_gradient_penalty_trains(after):
    history = after[4]['history']
    assert len(history) == 20
    (loss0, penalty0), (loss1, penalty1) = history[0], history[-1]
    assert loss1 + penalty1 < 0.7 * (loss0 + penalty0)
    assert all(p > 0 for _, p in history)


def test_the_readme_example(capsys):
    with open(os.path.join(ROOT, 'README.md'), encoding='utf-8') as f:
        section = f.read().split('## Gradients of gradients')[1]
    block = re.search(r'```python\n(.*?)```', section, re.S).group(1)
    exec(compile(block, 'README.md', 'exec'), {'np': np, 'ks': ks})
    assert capsys.readouterr().out == '44.0\n'
