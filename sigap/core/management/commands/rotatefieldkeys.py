"""`sigap rotatefieldkeys`: re-encrypt the stored secrets with the first of SIGAP_FIELD_KEYS."""

from django.core.management.base import BaseCommand

from sigap.core.fields import rotate_all
from sigap.core.services import Actor, record_audit


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column (Aplicare, webhook, SIRS/SISRUTE secrets) with the "
        "first key of SIGAP_FIELD_KEYS; afterwards the old keys can be removed."
    )

    def handle(self, *args, **opts) -> None:
        rows = rotate_all()
        record_audit(Actor.system("cli"), "field_keys.rotate", object_type="core.fields",
                     after={"rows": rows})  # fmt: skip
        self.stdout.write(f"{rows} rows re-encrypted with the first key.")
