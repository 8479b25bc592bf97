"""Back office for nutrition and maternal/child health: read-only views (the services are the
only writers: z-scores, monthly counts, state machines and audit go through them)."""

from django.contrib import admin

from sigap.core.admin import HistoryAdmin

from . import services
from .models import (
    Birth,
    CaseAction,
    Child,
    Death,
    DeathReview,
    GrowthMonthly,
    Measurement,
    NutritionCase,
    Pregnancy,
)


@admin.register(Child)
class ChildAdmin(HistoryAdmin):
    list_display = (
        "name",
        "masked_nik",
        "sex",
        "birth_date",
        "posyandu",
        "kelurahan",
        "is_synthetic",
    )
    list_filter = ("sex", "is_synthetic")
    search_fields = ("name", "=nik")

    @admin.display(description="NIK")
    def masked_nik(self, obj: Child) -> str:
        return services.mask_nik_encoded(obj.nik)


@admin.register(Measurement)
class MeasurementAdmin(HistoryAdmin):
    list_display = (
        "child",
        "measured_on",
        "age_days",
        "weight_kg",
        "length_cm",
        "position",
        "haz",
        "waz",
        "whz",
        "implausible",
        "faltering",
        "source",
    )
    list_filter = ("source", "implausible", "faltering", "month")
    date_hierarchy = "measured_on"


@admin.register(GrowthMonthly)
class GrowthMonthlyAdmin(HistoryAdmin):
    list_display = (
        "month",
        "kelurahan_code",
        "posyandu",
        "measured",
        "stunted",
        "wasted",
        "underweight",
        "faltering",
    )
    list_filter = ("month",)


class ActionInline(admin.TabularInline):
    model = CaseAction
    extra = 0
    can_delete = False
    readonly_fields = (
        "kind",
        "status",
        "owner",
        "note",
        "external_ref",
        "handoff_note",
        "created_by",
        "created_at",
    )
    fields = readonly_fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(NutritionCase)
class NutritionCaseAdmin(HistoryAdmin):
    list_display = ("child", "kind", "status", "opened_on", "owner", "kelurahan_code")
    list_filter = ("kind", "status")
    inlines = [ActionInline]


@admin.register(Pregnancy)
class PregnancyAdmin(HistoryAdmin):
    list_display = (
        "mother_name",
        "kelurahan",
        "expected_delivery",
        "high_risk",
        "homecare_status",
        "is_synthetic",
    )
    list_filter = ("high_risk", "homecare_status", "is_synthetic")


@admin.register(Birth)
class BirthAdmin(HistoryAdmin):
    list_display = ("born_on", "outcome", "sex", "weight_kg", "kelurahan_code", "is_synthetic")
    list_filter = ("outcome", "is_synthetic")
    date_hierarchy = "born_on"


@admin.register(Death)
class DeathAdmin(HistoryAdmin):
    list_display = ("died_on", "kind", "timing", "age_days", "cause_icd10", "kelurahan_code")
    list_filter = ("kind", "timing", "accidental")


@admin.register(DeathReview)
class DeathReviewAdmin(HistoryAdmin):
    list_display = ("death", "status", "avoidable", "reviewed_by", "closed_by")
    list_filter = ("status", "avoidable")
