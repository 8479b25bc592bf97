"""`sigap simulate NAME [options]`: drive a capability's real services on the current
database as a busy day would, and print a JSON summary as the last line.

Each simulation is a module with `DESCRIPTION`, `add_arguments(parser)` and
`run(options: dict, log: Callable[[str], None]) -> dict`; each app registers its own in
`AppConfig.ready()` (sigap.core.registry).
"""

import argparse
import importlib
import json

from django.core.management.base import BaseCommand, CommandError

from sigap.core import registry


class Command(BaseCommand):
    help = "Simulasikan satu kapabilitas dengan layanan yang sebenarnya (ringkasan JSON)."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        subparsers = parser.add_subparsers(dest="name", required=True)
        for name, path in registry.simulations().items():
            module = importlib.import_module(path)
            sub = subparsers.add_parser(name, help=module.DESCRIPTION)
            module.add_arguments(sub)

    def handle(self, *args, name: str, **options) -> None:
        module = importlib.import_module(registry.simulations()[name])
        try:
            summary = module.run(options, log=self.stderr.write)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(summary, sort_keys=True, default=str))
