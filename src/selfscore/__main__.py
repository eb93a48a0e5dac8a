"""Allow ``python -m selfscore``."""

from selfscore.cli import main

main()
