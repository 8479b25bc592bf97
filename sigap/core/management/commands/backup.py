"""`sigap backup [--output DIR]`: the database, media and non-secret settings in one tar.gz
(sigap.core.backup). The field keys and the secret key are NOT in it: keep them apart."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sigap.core import backup


class Command(BaseCommand):
    help = "Cadangkan basis data, media dan pengaturan (tanpa kunci rahasia) ke satu arsip."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, default=None, help="folder for the archive")

    def handle(self, *args, output: Path | None, **kw) -> None:
        try:
            archive = backup.backup(output)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        manifest = backup.inspect(archive)
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            f"{archive}\n{manifest['vendor']}, {len(manifest['tables'])} tables, {rows} rows, "
            f"{len(manifest['files'])} files. Field keys and SIGAP_SECRET_KEY are not in the "
            "archive: keep them in a separate safe place."
        )
