"""Background work of the access app: siting scenarios too large to solve in a request."""

from django.tasks import task

from . import scenarios


@task
def run_scenario(scenario_id: int) -> None:
    scenarios.run_queued(scenario_id)
