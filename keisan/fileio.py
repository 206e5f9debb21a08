"""Atomic file writes: a temporary file beside the target, renamed over it when complete.

A run killed while writing leaves the previous file intact (and at most a hidden
``.tmp-*`` file). ``tempfile.mkstemp`` creates files readable by the owner only;
the finished file gets the permissions ``open()`` would give (``0o666`` minus the
umask), so models, metrics and shared dataset caches stay readable to others.
"""
import contextlib
import os
import tempfile


def default_file_mode():
    """Permissions of a newly created file under the current umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_path(path, prefix='.tmp-', suffix=''):
    """Yield a temporary path in ``path``'s directory; rename it to ``path`` on success.

    The directory is created if needed. On an exception the temporary file is
    removed and ``path`` is left untouched.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=prefix, suffix=suffix)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, default_file_mode())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


@contextlib.contextmanager
def atomic_write(path, mode='wb', **open_kwargs):
    """``open(path, mode)`` that only replaces ``path`` once the ``with`` block succeeds."""
    with atomic_path(path, suffix=os.path.splitext(os.fspath(path))[1]) as tmp:
        with open(tmp, mode, **open_kwargs) as f:
            yield f
