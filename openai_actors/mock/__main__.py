"""Entry point for ``python -m openai_actors.mock``."""

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
