"""`sigap restore ARCHIVE [--force]`: put a `sigap backup` archive back (sigap.core.backup).
Refuses, changing nothing, when the current field keys cannot decrypt the archive's encrypted
columns, or when the database already has data and --force is not given."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sigap.core import backup


class Command(BaseCommand):
    help = "Pulihkan basis data dan media dari arsip `sigap backup`."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path)
        parser.add_argument(
            "--force", action="store_true", help="replace a database that already has data"
        )

    def handle(self, *args, archive: Path, force: bool, **kw) -> None:
        try:
            manifest = backup.restore(archive, force=force)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            f"Restored {archive} ({manifest['vendor']}, made {manifest['created_at']} by SIGAP "
            f"{manifest['sigap_version']}): {len(manifest['tables'])} tables, {rows} rows, "
            "counts checked. Run `sigap migrate` if this code is newer than the backup."
        )
