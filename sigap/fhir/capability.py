"""The CapabilityStatement at /fhir/metadata: what this server answers."""

from __future__ import annotations

from django.utils import timezone
from fhir.resources.R4B.capabilitystatement import (
    CapabilityStatement,
    CapabilityStatementImplementation,
    CapabilityStatementRest,
    CapabilityStatementRestResource,
    CapabilityStatementRestResourceInteraction,
    CapabilityStatementRestResourceSearchParam,
    CapabilityStatementRestSecurity,
    CapabilityStatementSoftware,
)

from .handlers import RESOURCE_TYPES
from .resources import FHIR_VERSION
from .search import MAX_COUNT

COMMON_PARAMS = [
    ("_count", "number", f"Jumlah per halaman (0 = hanya total; paling banyak {MAX_COUNT})"),
    ("_offset", "number", "Posisi awal halaman (dipakai tautan next/previous)"),
    ("_total", "token", "none, estimate, accurate (bawaan: accurate)"),
]


def capability_statement(server_base: str) -> CapabilityStatement:
    rest_resources = []
    for rtype in RESOURCE_TYPES.values():
        params = [
            CapabilityStatementRestResourceSearchParam(
                name=name, type=param.type, documentation=param.documentation
            )
            for name, param in rtype.params.items()
        ]
        params += [
            CapabilityStatementRestResourceSearchParam(name=n, type=t, documentation=d)
            for n, t, d in COMMON_PARAMS
        ]
        rest_resources.append(
            CapabilityStatementRestResource(
                type=rtype.name,
                documentation=(
                    "Data pribadi: hanya klien dengan kunci API, sebatas cakupan perannya."
                    if rtype.personal
                    else "Publik, tanpa data pribadi."
                ),
                interaction=[
                    CapabilityStatementRestResourceInteraction(code="read"),
                    CapabilityStatementRestResourceInteraction(code="search-type"),
                ],
                searchParam=params,
            )
        )
    return CapabilityStatement(
        status="active",
        date=timezone.now().isoformat(),
        publisher="SIGAP",
        kind="instance",
        software=CapabilityStatementSoftware(name="SIGAP"),
        implementation=CapabilityStatementImplementation(
            description="SIGAP FHIR R4 (SATUSEHAT)", url=server_base
        ),
        # R4 (4.0.1) is what SATUSEHAT speaks; the R4B models used to build resources match
        # R4 for every resource served here.
        fhirVersion=FHIR_VERSION,
        format=["json", "application/fhir+json"],
        rest=[
            CapabilityStatementRest(
                mode="server",
                security=CapabilityStatementRestSecurity(
                    cors=False,
                    description=(
                        "Organization, Location dan HealthcareService publik. Sumber daya "
                        "lain: header 'Authorization: Bearer <kunci API SIGAP>'."
                    ),
                ),
                resource=rest_resources,
            )
        ],
    )
