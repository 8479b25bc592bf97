from django.contrib import admin

from .models import (
    CarePlan,
    DayPlan,
    Driver,
    Escalation,
    HomecareRequest,
    TargetGroup,
    TransportTrip,
    TransportVehicle,
    Visit,
    Worker,
)


@admin.register(TargetGroup)
class TargetGroupAdmin(admin.ModelAdmin):
    """Reference data: target groups and their eligibility checklists."""

    list_display = ("code", "name", "skill", "sort")
    list_editable = ("sort",)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Operational data changes through the home-care pages and services (transition tables,
    audit trail); the back office only looks."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(HomecareRequest)
class HomecareRequestAdmin(ReadOnlyAdmin):
    list_display = ("name", "village", "facility", "target_group", "source", "status", "created_at")
    list_filter = ("status", "source", "target_group")
    search_fields = ("name",)
    exclude = ("nik",)


@admin.register(CarePlan)
class CarePlanAdmin(ReadOnlyAdmin):
    list_display = (
        "request",
        "facility",
        "skill",
        "frequency_days",
        "priority",
        "next_due",
        "status",
    )
    list_filter = ("status", "skill", "priority")


@admin.register(Worker)
class WorkerAdmin(admin.ModelAdmin):
    list_display = ("name", "facility", "travel_mode", "shift_start", "shift_end", "is_active")
    list_filter = ("travel_mode", "is_active")
    search_fields = ("name", "facility__name")


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ("care_plan", "date", "worker", "sequence", "planned_start", "status", "urgent")
    list_filter = ("status", "date")


@admin.register(DayPlan)
class DayPlanAdmin(ReadOnlyAdmin):
    list_display = ("facility", "date", "version", "planned_at")


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ("facility", "kind", "status", "created_at")
    list_filter = ("kind", "status")


@admin.register(TransportVehicle)
class TransportVehicleAdmin(admin.ModelAdmin):
    list_display = ("name", "plate", "facility", "seats", "is_active")


@admin.register(Driver)
class DriverAdmin(admin.ModelAdmin):
    list_display = ("name", "facility", "shift_start", "shift_end", "is_active")


@admin.register(TransportTrip)
class TransportTripAdmin(ReadOnlyAdmin):
    list_display = ("name", "direction", "destination", "date", "planned_pickup", "status")
    list_filter = ("status", "direction")
    exclude = ("nik",)
