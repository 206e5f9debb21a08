"""Downloading data files from a list of mirrors into a local cache, safely.

A file only ever appears in the cache complete and verified: it is streamed into
a temporary file in the same directory, checked (length, checksum, optional
validation callback), and only then renamed into place with ``os.replace``,
which is atomic on POSIX and Windows. Every failure removes the temporary file.
"""
import hashlib
import http.client
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request

from keisan.datasets.errors import DatasetError
from keisan.fileio import default_file_mode

__all__ = ['fetch']

_CHUNK = 1 << 16
_USER_AGENT = 'keisan-datasets/0.1 (+urllib)'
# Seconds to wait before the 2nd attempt on a mirror; doubled for each further one.
# Module-level so that tests can set it to 0.
RETRY_BACKOFF = 0.5


class _TransferError(Exception):
    """One failed attempt; ``retry`` says whether the same URL may succeed later."""

    def __init__(self, reason, retry):
        super().__init__(reason)
        self.retry = retry


def _mirror_url(mirror, filename):
    return mirror.rstrip('/') + '/' + filename


class _TextProgress:
    """Minimal progress line on stderr, used when tqdm is not installed."""

    def __init__(self, total, desc):
        self.total, self.desc, self.n, self._last = total, desc, 0, -1.0

    def update(self, n):
        self.n += n
        now = time.monotonic()
        if now - self._last >= 0.2:
            self._last = now
            self._draw()

    def _draw(self):
        mib = self.n / 2 ** 20
        if self.total:
            pct = 100.0 * self.n / self.total
            line = '%s: %5.1f%% (%.1f / %.1f MiB)' % (self.desc, pct, mib, self.total / 2 ** 20)
        else:
            line = '%s: %.1f MiB' % (self.desc, mib)
        sys.stderr.write('\r' + line)
        sys.stderr.flush()

    def close(self):
        self._draw()
        sys.stderr.write('\n')
        sys.stderr.flush()


class _NoProgress:
    def update(self, n):
        pass

    def close(self):
        pass


def _progress_bar(enabled, total, desc):
    if not enabled:
        return _NoProgress()
    try:
        from tqdm.auto import tqdm
    except ImportError:
        tqdm = None
    if tqdm is not None:
        return tqdm(total=total, desc=desc, unit='B', unit_scale=True, unit_divisor=1024,
                    leave=False)
    if sys.stderr is not None and sys.stderr.isatty():
        return _TextProgress(total, desc)
    return _NoProgress()


def _hashers(md5, sha256):
    expected = {}
    if md5 is not None:
        expected['md5'] = md5.lower()
    if sha256 is not None:
        expected['sha256'] = sha256.lower()
    return expected, {name: hashlib.new(name) for name in expected}


def _file_digests(path, names):
    hashers = {name: hashlib.new(name) for name in names}
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(_CHUNK), b''):
            for h in hashers.values():
                h.update(chunk)
    return {name: h.hexdigest() for name, h in hashers.items()}


def _download_once(url, dest_dir, filename, timeout, progress, md5, sha256, validate):
    """Download ``url`` to a temporary file in ``dest_dir``; return its path once verified.

    Raises _TransferError on any failure, after removing the temporary file.
    """
    expected, hashers = _hashers(md5, sha256)
    fd, tmp = tempfile.mkstemp(prefix='.%s.' % filename, suffix='.part', dir=dest_dir)
    os.chmod(tmp, default_file_mode())      # mkstemp's 0600 would survive the rename
    ok = False
    try:
        with os.fdopen(fd, 'wb') as out:
            request = urllib.request.Request(url, headers={'User-Agent': _USER_AGENT})
            try:
                response = urllib.request.urlopen(request, timeout=timeout)
            except urllib.error.HTTPError as e:
                # Server-side and rate-limit errors are often transient; 404 & co. are not.
                raise _TransferError('HTTP %d %s' % (e.code, e.reason),
                                     retry=e.code >= 500 or e.code in (408, 429)) from None
            except urllib.error.URLError as e:
                raise _TransferError('cannot connect: %s' % (e.reason,), retry=True) from None
            except (OSError, http.client.HTTPException) as e:
                raise _TransferError('request failed: %s: %s' % (type(e).__name__, e),
                                     retry=True) from None
            with response:
                length = response.headers.get('Content-Length')
                try:
                    length = int(length) if length is not None else None
                except ValueError:
                    length = None
                received = 0
                bar = _progress_bar(progress, length, filename)
                try:
                    while True:
                        chunk = response.read(_CHUNK)
                        if not chunk:
                            break
                        out.write(chunk)
                        for h in hashers.values():
                            h.update(chunk)
                        received += len(chunk)
                        bar.update(len(chunk))
                except http.client.IncompleteRead as e:
                    received += len(e.partial)
                    raise _TransferError('truncated transfer: connection closed after '
                                         '%d of %s bytes' % (received, length), retry=True) \
                        from None
                except (OSError, http.client.HTTPException) as e:
                    raise _TransferError('transfer failed after %d bytes: %s: %s'
                                         % (received, type(e).__name__, e), retry=True) from None
                finally:
                    bar.close()
        if length is not None and received != length:
            raise _TransferError('truncated transfer: received %d bytes, Content-Length '
                                 'announced %d' % (received, length), retry=True)
        for name, h in hashers.items():
            digest = h.hexdigest()
            if digest != expected[name]:
                # The same mirror would most likely serve the same bytes again.
                raise _TransferError('%s checksum mismatch: expected %s, got %s (%d bytes)'
                                     % (name, expected[name], digest, received), retry=False)
        if validate is not None:
            try:
                validate(tmp)
            except DatasetError as e:
                raise _TransferError('downloaded file failed validation: %s' % e,
                                     retry=False) from None
        ok = True
        return tmp
    finally:
        if not ok:
            try:
                os.remove(tmp)
            except FileNotFoundError:
                pass


def fetch(filename, mirrors, data_dir, sha256=None, md5=None, retries=3, progress=True,
          timeout=30.0, validate=None):
    """Return the local path of ``filename``, downloading it from a mirror if needed.

    Args:
        filename: name of the file on the mirrors and in ``data_dir``.
        mirrors: sequence of base URLs (``http``, ``https`` or ``file``); the file
            URL is ``base + '/' + filename``. Tried in order until one succeeds.
        data_dir: directory for the downloaded file (created if missing).
        sha256, md5: expected hex digests (either, both or none). If none is
            given, only the transfer length and ``validate`` protect the file.
        retries: attempts per mirror (>= 1) for transient failures (network
            errors, HTTP 5xx/408/429, truncated transfers), with an exponential
            backoff starting at ``RETRY_BACKOFF`` seconds. Checksum mismatches,
            validation failures and other HTTP errors move on to the next mirror
            at once.
        progress: show a progress bar (tqdm if installed, else a plain line on
            stderr when it is a terminal).
        timeout: socket timeout in seconds for connecting and each read.
        validate: optional callable taking the path of the downloaded temporary
            file and raising DatasetError if its content is unusable; the file is
            only moved into ``data_dir`` if it returns normally.

    Returns:
        str: path of the file in ``data_dir``. If that file already exists and
        matches the given checksums (if any), it is returned without downloading;
        an existing file with a wrong checksum is replaced.

    Raises:
        DatasetError: no mirror delivered a verified file; the message lists every
            URL tried and why it failed. Nothing is left in ``data_dir`` then.
        ValueError: bad arguments.
    """
    if isinstance(mirrors, str):
        mirrors = [mirrors]
    mirrors = [m for m in mirrors if m]
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 1:
        raise ValueError('fetch: retries must be a positive int, got %r' % (retries,))
    data_dir = os.fspath(data_dir)
    dest = os.path.join(data_dir, filename)

    if os.path.isfile(dest):
        expected, _ = _hashers(md5, sha256)
        if not expected or _file_digests(dest, expected) == expected:
            return dest

    if not mirrors:
        raise DatasetError('%s: cannot download, no mirror URL given' % filename)
    os.makedirs(data_dir, exist_ok=True)
    failures = []
    for mirror in mirrors:
        url = _mirror_url(mirror, filename)
        for attempt in range(retries):
            if attempt:
                time.sleep(RETRY_BACKOFF * 2 ** (attempt - 1))
            try:
                tmp = _download_once(url, data_dir, filename, timeout, progress,
                                     md5, sha256, validate)
            except _TransferError as e:
                failures.append('%s (attempt %d): %s' % (url, attempt + 1, e))
                if not e.retry:
                    break
                continue
            try:
                os.replace(tmp, dest)
            except OSError:
                os.remove(tmp)
                raise
            return dest
    raise DatasetError('%s: download failed from every mirror; tried:\n  %s'
                       % (filename, '\n  '.join(failures)))
