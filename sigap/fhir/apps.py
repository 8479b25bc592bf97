from django.apps import AppConfig


class FhirConfig(AppConfig):
    """FHIR R4 interface at /fhir/ and the SATUSEHAT submission client."""

    name = "sigap.fhir"
    label = "fhir"
