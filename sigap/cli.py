"""The `sigap` command: Django's manage.py plus SIGAP's own commands
(`sigap demo`, `sigap regions load`, `sigap serve`, `sigap bench NAME`, ...)."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sigap.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
