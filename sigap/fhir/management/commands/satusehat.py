"""`sigap satusehat check|queue|send|status`: the SATUSEHAT submission client by hand."""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from sigap.fhir import satusehat
from sigap.fhir.models import Kind, SatusehatSubmission

KINDS = [k.value for k in Kind if k.value in satusehat.SENDERS]


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = parse_datetime(value)
    if moment is None and (day := parse_date(value)) is not None:
        moment = datetime(day.year, day.month, day.day)
    if moment is None:
        raise CommandError(f"--since: not a date or date-time: {value!r}")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class Command(BaseCommand):
    help = "SATUSEHAT: check the token, queue records, send the queue, show the delivery log."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("check", help="fetch an access token with the active configuration")
        queue = sub.add_parser("queue", help="queue every record of the given kinds")
        queue.add_argument("kinds", nargs="+", choices=KINDS)
        queue.add_argument("--since", help="only records changed after this date/date-time")
        send = sub.add_parser("send", help="send the submissions that are due now")
        send.add_argument("--limit", type=int, default=500)
        sub.add_parser("status", help="submissions per kind and status")

    def handle(self, *args, **options) -> None:
        config = satusehat.active_config()
        if config is None:
            raise CommandError("no active SATUSEHAT configuration (add one in the admin)")
        action = options["action"]
        if action == "check":
            client = satusehat.Client(config)
            try:
                client.token(renew=True)
            except satusehat.SatusehatError as exc:
                raise CommandError(f"token refused: {exc} {exc.outcome}") from None
            self.stdout.write(f"token ok, valid until {config.token_expires_at:%Y-%m-%d %H:%M} UTC")
        elif action == "queue":
            since = _since(options["since"])
            for kind in options["kinds"]:
                n = satusehat.queue_all(kind, since)
                self.stdout.write(f"{kind}: {n} pending")
        elif action == "send":
            n = satusehat.deliver_due(limit=options["limit"])
            self.stdout.write(f"{n} submission(s) attempted")
        else:
            rows = (
                SatusehatSubmission.objects.filter(config=config)
                .values("kind", "status")
                .annotate(n=Count("pk"))
                .order_by("kind", "status")
            )
            for row in rows:
                self.stdout.write(f"{row['kind']:<12} {row['status']:<10} {row['n']}")
