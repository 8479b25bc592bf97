"""`sigap apikey create USER NAME` / `sigap apikey list` / `sigap apikey revoke PREFIX`."""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from sigap.core.models import ApiKey, User
from sigap.core.services import Actor, record_audit


class Command(BaseCommand):
    help = "Manage API keys for machine clients (SIMRS bridges, partner systems)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a key; it is printed once")
        create.add_argument("username")
        create.add_argument("name", help="what the key is for, e.g. 'SIMRS RS Contoh'")
        sub.add_parser("list", help="list keys (prefix only)")
        revoke = sub.add_parser("revoke", help="revoke a key by its prefix")
        revoke.add_argument("prefix")

    def handle(self, *args, action: str, **opts) -> None:
        actor = Actor.system("cli")
        if action == "create":
            user = User.objects.filter(username=opts["username"]).first()
            if user is None:
                raise CommandError(f"no user {opts['username']!r}")
            key, raw = ApiKey.generate(user, opts["name"])
            record_audit(actor, "api_key.create", key, after={"user": user.username})
            self.stdout.write(raw)
            self.stderr.write("Store this key now: SIGAP keeps only its hash.")
        elif action == "list":
            for k in ApiKey.objects.select_related("user").order_by("created_at"):
                state = "revoked" if k.revoked_at else "active"
                self.stdout.write(f"{k.prefix}\t{k.user.username}\t{k.name}\t{state}")
        else:
            key = ApiKey.objects.filter(prefix=opts["prefix"], revoked_at=None).first()
            if key is None:
                raise CommandError(f"no active key with prefix {opts['prefix']!r}")
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at", "updated_at"])
            record_audit(actor, "api_key.revoke", key)
            self.stdout.write(f"revoked {key.prefix}")
