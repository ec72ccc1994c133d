"""``python -m coach.cli``: the same as the ``salescoach`` command."""

from coach.cli import main

main()
