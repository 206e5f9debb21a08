"""The package's layering, as docs/DESIGN.md states it: a module imports only from its own
row of the table or the rows above, and never imports inside a function except optional
dependencies."""
import ast
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(ROOT, 'keisan')
OPTIONAL = {'cupy', 'cupyx', 'matplotlib', 'tqdm', 'PIL', 'threadpoolctl', 'mpi4py'}


def design_rows():
    """[(row name, [paths])] from the table of docs/DESIGN.md, top row first."""
    rows = []
    with open(os.path.join(ROOT, 'docs', 'DESIGN.md'), encoding='utf-8') as f:
        for line in f:
            cells = [c.strip() for c in line.strip().strip('|').split('|')]
            if len(cells) == 3 and '`keisan/' in cells[1]:
                rows.append((cells[0], re.findall(r'`(keisan/[^`]*)`', cells[1])))
    return rows


def modules():
    """Relative paths of every module of the package but keisan/__init__.py."""
    found = []
    for folder, _, files in os.walk(PACKAGE):
        for name in files:
            if name.endswith('.py'):
                path = os.path.relpath(os.path.join(folder, name), ROOT).replace(os.sep, '/')
                if path != 'keisan/__init__.py':
                    found.append(path)
    return sorted(found)


def row_of(path, rows):
    for index, (_, paths) in enumerate(rows):
        for entry in paths:
            if path == entry or (entry.endswith('/') and path.startswith(entry)):
                return index
    return None


def module_path(dotted):
    """keisan.a.b -> keisan/a/b.py or keisan/a/b/__init__.py (None if neither exists)."""
    base = os.path.join(ROOT, *dotted.split('.'))
    for candidate in (base + '.py', os.path.join(base, '__init__.py')):
        if os.path.isfile(candidate):
            return os.path.relpath(candidate, ROOT).replace(os.sep, '/')
    return None


def imports(path):
    """(dotted keisan module, line, inside a function) for every import of ``path``;
    optional dependencies imported inside functions come back as (name, line, True)."""
    tree = ast.parse(open(os.path.join(ROOT, path), encoding='utf-8').read())
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                found.extend((a.name, child.lineno, in_function) for a in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module:
                if child.module == 'keisan':     # from keisan import cuda, functions
                    found.extend(('keisan.' + a.name, child.lineno, in_function)
                                 for a in child.names)
                else:
                    found.append((child.module, child.lineno, in_function))
            visit(child, inner)
    visit(tree, False)
    return found


def test_the_table_names_existing_paths():
    rows = design_rows()
    assert len(rows) >= 10
    for name, paths in rows:
        for entry in paths:
            assert os.path.exists(os.path.join(ROOT, entry)), (name, entry)


@pytest.mark.parametrize('path', modules())
def test_module_imports_follow_the_rows(path):
    rows = design_rows()
    own = row_of(path, rows)
    assert own is not None, '%s belongs to no row of docs/DESIGN.md' % path
    for name, line, in_function in imports(path):
        top = name.split('.')[0]
        if in_function:
            assert top in OPTIONAL, ('%s:%d imports %s inside a function; only optional '
                                     'dependencies may be imported there' % (path, line, name))
        if top != 'keisan':
            continue
        target = module_path(name) or module_path(name.rpartition('.')[0])
        assert target is not None, '%s:%d: cannot resolve %s' % (path, line, name)
        if target == 'keisan/__init__.py':      # only the last row (CLI) sees it all
            assert own == len(rows) - 1, '%s:%d imports the package root' % (path, line)
            continue
        assert row_of(target, rows) <= own, (
            '%s:%d (row %r) imports %s (row %r), a row below it'
            % (path, line, rows[own][0], name, rows[row_of(target, rows)][0]))
