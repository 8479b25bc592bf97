"""`sigap bench NAME|all`: run SIGAP's benchmarks (modules under the top-level `bench/`)."""

import argparse
import importlib
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sigap.core import registry

# name -> module under bench/ (NAME, DESCRIPTION, add_arguments(), run()); each app registers
# its own in AppConfig.ready()


def _load(name: str):
    repo = str(settings.BASE_DIR.parent)
    if repo not in sys.path:
        # bench/ lives next to the package, in the source checkout, not in the wheel.
        sys.path.insert(0, repo)
    try:
        return importlib.import_module(registry.benchmarks()[name])
    except ModuleNotFoundError as exc:
        raise CommandError(
            f"benchmarks need the source checkout (bench/ not found): {exc}"
        ) from exc


class Command(BaseCommand):
    help = "Run a benchmark (or all) and record its figures in bench/README.md."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("name", choices=[*registry.benchmarks(), "all"])
        parser.add_argument("--seconds", type=float, default=20, help="duration per scenario")
        parser.add_argument("--warmup", type=float, default=3)
        parser.add_argument("--connections", type=int, default=32, help="concurrent clients")
        parser.add_argument("--wrk-threads", type=int, default=2)
        parser.add_argument("--workers", type=int, default=None, help="gunicorn workers")
        parser.add_argument("--threads", type=int, default=1, help="threads per worker")
        parser.add_argument("--seed", type=int, default=2)
        parser.add_argument(
            "--no-readme", action="store_true", help="print only, do not update bench/README.md"
        )
        for name in registry.benchmarks():
            _load(name).add_arguments(parser)

    def handle(self, *args, **options) -> None:
        from bench import common  # bench/ sits beside the package in a checkout, not in it

        opts = argparse.Namespace(**options)
        if opts.workers is None:
            opts.workers = common.default_workers()
        names = list(registry.benchmarks()) if opts.name == "all" else [opts.name]
        failed = []
        for name in names:
            module = _load(name)
            self.stdout.write(f"== bench {name}: {module.DESCRIPTION}")
            if module.run(opts) != 0:
                failed.append(name)
        if failed:
            raise CommandError(
                f"benchmark(s) with errors or missing endpoints: {', '.join(failed)}"
            )
