import secrets

from django.contrib import admin, messages

from sigap.core.admin import HistoryAdmin
from sigap.core.services import Actor, record_audit

from .models import AplicareCredential, BedClass, BedUpdate, Room, SirsBedType, SirsCredential


@admin.register(BedClass)
class BedClassAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "aplicare_name", "is_aplicare", "is_critical_care", "sort")
    list_editable = ("sort",)


@admin.register(SirsBedType)
class SirsBedTypeAdmin(admin.ModelAdmin):
    list_display = ("id_tt", "name", "bed_class", "with_ventilator")


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    """Read-only here: bed numbers change through the operator page or the SIMRS endpoints,
    which keep the history and the audit trail."""

    list_display = ("facility", "bed_class", "code", "name", "capacity", "free", "reserved",
                    "waiting", "reported_at", "source")  # fmt: skip
    list_filter = ("bed_class", "source")
    search_fields = ("facility__name", "code", "name")
    readonly_fields = [f.name for f in Room._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(BedUpdate)
class BedUpdateAdmin(HistoryAdmin):
    list_display = ("at", "facility", "bed_class", "room_code", "kind", "source", "free",
                    "capacity", "actor_label")  # fmt: skip
    list_filter = ("kind", "source", "bed_class")
    search_fields = ("facility__name", "room_code", "actor_label")
    date_hierarchy = "at"


@admin.register(AplicareCredential)
class AplicareCredentialAdmin(admin.ModelAdmin):
    """The secret is generated on save and shown once in a message."""

    list_display = ("cons_id", "facility", "is_active", "created_at")
    fields = ("facility", "cons_id", "is_active")
    autocomplete_fields = ("facility",)

    def save_model(self, request, obj, form, change):
        if not obj.secret:
            obj.secret = secrets.token_urlsafe(24)
            messages.warning(
                request, f"Secret Aplicare untuk {obj.cons_id}: {obj.secret} (catat sekarang)."
            )
        super().save_model(request, obj, form, change)
        record_audit(Actor.from_request(request, "admin"), "aplicare_credential.save", obj,
                     after={"cons_id": obj.cons_id, "active": obj.is_active})  # fmt: skip


@admin.register(SirsCredential)
class SirsCredentialAdmin(admin.ModelAdmin):
    list_display = ("rs_id", "facility", "is_active", "created_at")
    fields = ("facility", "rs_id", "password_md5", "is_active")
    autocomplete_fields = ("facility",)
