"""A task for tests/core/test_ops.py: it logs one line while the worker runs it."""

import logging

from django.tasks import task

log = logging.getLogger(__name__)


@task
def log_something() -> None:
    log.info("task ran")
