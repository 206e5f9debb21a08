"""Exceptions raised by :mod:`keisan.datasets`."""

__all__ = ['DatasetError']


class DatasetError(ValueError):
    """A data file is missing, corrupt, or could not be downloaded.

    The message always names the file (or URL) concerned and what is wrong with it.
    It subclasses ValueError so that callers catching bad input in general still see it.
    """
