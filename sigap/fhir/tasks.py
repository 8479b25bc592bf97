"""Background work of the FHIR app: the SATUSEHAT submission queue."""

from django.tasks import task

from sigap.core.periodic import every

from . import satusehat


@every(15, name="fhir.satusehat_deliver")
def deliver_satusehat() -> None:
    satusehat.deliver_due()


@every(300, name="fhir.satusehat_queue_changes")
def queue_satusehat_changes() -> None:
    satusehat.queue_changes()


@task
def queue_kind(kind: str) -> None:
    """Queue every record of a kind (the admin's "register all", too big for a request)."""
    satusehat.queue_all(kind)
