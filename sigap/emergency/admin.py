"""Back office: agencies per area (with their webhook), area targets, the unit registry.
Statuses are read-only here: they move through the services (console, crew page, API)."""

from django.contrib import admin

from sigap.core.admin import HistoryAdmin

from .models import Agency, AreaSettings, Handoff, Incident, IncidentAgency, Unit, UnitStatusChange


@admin.register(AreaSettings)
class AreaSettingsAdmin(admin.ModelAdmin):
    list_display = ("area_code", "urban_target_min", "rural_target_min", "repeat_window_min",
                    "repeat_radius_m")  # fmt: skip


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "area_code", "phone", "webhook", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "area_code")


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "base_kind", "base_village", "status",
                    "status_changed_at")  # fmt: skip
    list_filter = ("kind", "base_kind", "status")
    search_fields = ("code", "name", "base_village__name")
    readonly_fields = ("status", "status_changed_at", "latitude", "longitude", "position_at")
    raw_id_fields = ("base_village", "base_facility")
    filter_horizontal = ("crew",)


@admin.register(Incident)
class IncidentAdmin(HistoryAdmin):
    list_display = ("number", "received_at", "category", "triage", "status", "village")
    list_filter = ("status", "triage", "category", "source")
    search_fields = ("number",)


@admin.register(IncidentAgency)
class IncidentAgencyAdmin(HistoryAdmin):
    list_display = ("incident", "agency", "status", "partner_status", "acknowledged_at")


@admin.register(Handoff)
class HandoffAdmin(HistoryAdmin):
    list_display = ("incident", "hospital", "status", "eta_at", "bed_class")


@admin.register(UnitStatusChange)
class UnitStatusChangeAdmin(HistoryAdmin):
    list_display = ("unit", "from_status", "to_status", "at", "actor_label")
