"""``python -m keisan``: the same as the ``keisan`` console script."""
import sys

from keisan.cli import main

if __name__ == '__main__':
    sys.exit(main())
