from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import ApiKey, AuditEvent, OutboundMessage, User, WebhookDelivery, WebhookEndpoint


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "get_full_name", "role", "area_code", "is_active")
    list_filter = ("role", "is_active", "is_staff")
    fieldsets = (*BaseUserAdmin.fieldsets, ("SIGAP", {"fields": ("role", "area_code", "phone")}))
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        ("SIGAP", {"fields": ("role", "area_code", "phone")}),
    )


class HistoryAdmin(admin.ModelAdmin):
    """For history tables: browsable, never added to, edited or deleted, admins included."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(HistoryAdmin):
    """The audit trail: who changed what, when, before and after."""

    list_display = ("at", "actor_label", "channel", "action", "object_type", "object_label")
    list_filter = ("channel", "action", "object_type")
    search_fields = ("actor_label", "object_id", "object_label", "action")
    date_hierarchy = "at"


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "key_hash", "last_used_at", "created_at")
    exclude = ("key_hash",)

    def has_add_permission(self, request):
        # Keys are created with `sigap apikey create` so the raw key can be shown once.
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "is_active", "owner_label")
    list_filter = ("is_active",)
    search_fields = ("name", "url", "owner_label")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(HistoryAdmin):
    """The delivery log of outbound webhooks."""

    list_display = ("created_at", "endpoint", "event", "status", "attempts", "last_status_code")
    list_filter = ("status", "event")
    search_fields = ("ref", "event")


@admin.register(OutboundMessage)
class OutboundMessageAdmin(HistoryAdmin):
    list_display = ("created_at", "channel", "backend", "to", "ref")
    list_filter = ("channel", "backend")
