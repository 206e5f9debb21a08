"""Atomic file writes: a temporary file beside the target, renamed over it when complete.

``atomic_path`` and ``atomic_write`` serve every writer; ``write_text``, ``write_json`` and
``write_csv`` are the text files (UTF-8, Unix line ends) that runs and experiments write.
A run killed while writing leaves the previous file intact (and at most a hidden
``.tmp-*`` file). ``tempfile.mkstemp`` creates files readable by the owner only;
the finished file gets the permissions ``open()`` would give (``0o666`` minus the
umask), so models, metrics and shared dataset caches stay readable to others.
"""
import contextlib
import csv
import io
import json
import os
import tempfile


def default_file_mode():
    """Permissions of a newly created file under the current umask."""
    return 0o666 & ~_umask()


def _umask():
    # Linux reports the umask without changing it; os.umask can only read it by
    # setting it, which for a moment would apply 0 to files other threads create.
    try:
        with open('/proc/self/status', encoding='ascii') as f:
            for line in f:
                if line.startswith('Umask:'):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o077)      # the most restrictive mask while it is being read
    os.umask(mask)
    return mask


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


def write_text(path, text):
    """Write the string ``text`` to ``path`` atomically, as UTF-8, line ends untranslated."""
    with atomic_write(path, 'w', encoding='utf-8', newline='') as f:
        f.write(text)


def write_json(path, data, indent=2):
    """Write ``data`` to ``path`` atomically as JSON indented by ``indent``, with a final
    newline."""
    write_text(path, json.dumps(data, indent=indent) + '\n')


def write_csv(path, rows, fields, extrasaction='raise'):
    """Write ``rows`` (dicts) to ``path`` atomically as CSV: a header of ``fields``, then
    one line per row with those keys in that order (Unix line ends).

    ``extrasaction`` is :class:`csv.DictWriter`'s: 'raise' (ValueError for a row with a
    key not in ``fields``) or 'ignore' (leave such keys out).
    """
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, extrasaction=extrasaction,
                            lineterminator='\n')
    writer.writeheader()
    writer.writerows(rows)
    write_text(path, buf.getvalue())
