import re
import secrets

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import webhooks
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


class WebhookEndpointForm(forms.ModelForm):
    """No secret in the form (never shown back); the URL passes the same SSRF check as a
    registration (sigap.core.webhooks.check_url: https, public addresses only)."""

    class Meta:
        model = WebhookEndpoint
        fields = ("name", "url", "events", "is_active", "owner_label")

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            webhooks.check_url(url)
        except webhooks.UnsafeUrl as exc:
            raise forms.ValidationError(str(exc)) from None
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """A new endpoint's signing secret is shown once, after saving; "new secret" replaces it
    and shows the new one once. The stored secret is never shown back."""

    form = WebhookEndpointForm
    list_display = ("name", "url", "is_active", "owner_label")
    list_filter = ("is_active",)
    search_fields = ("name", "url", "owner_label")
    actions = ["new_secret"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            self._show_once(request, obj)

    @admin.action(description=gettext_lazy("Buat rahasia baru (ditampilkan sekali)"))
    def new_secret(self, request, queryset):
        for endpoint in queryset:
            endpoint.secret = secrets.token_urlsafe(32)
            endpoint.save(update_fields=["secret", "updated_at"])
            self._show_once(request, endpoint)

    def _show_once(self, request, endpoint: WebhookEndpoint) -> None:
        msg = _(
            "Rahasia penandatanganan %(name)s (ditampilkan sekali, simpan sekarang): %(secret)s"
        )
        messages.warning(request, msg % {"name": endpoint.name, "secret": endpoint.secret})


# A NIK is 16 digits; shown as regions.services.mask_nik shows it (core cannot import regions).
_NIK_RE = re.compile(r"(?<!\d)(\d{4})\d{8}(\d{4})(?!\d)")


def mask_niks(text: str) -> str:
    """`text` with every 16-digit run masked to its first and last 4 digits."""
    return _NIK_RE.sub(lambda m: f"{m[1]}{'x' * 8}{m[2]}", text or "")


class MaskedTextAdmin(HistoryAdmin):
    """A history table whose free-text columns (`masked`) may carry a NIK: they are shown
    with every NIK masked, never as stored."""

    masked: tuple[str, ...] = ()

    def get_exclude(self, request, obj=None):
        return self.masked

    def get_readonly_fields(self, request, obj=None):
        shown = [f for f in super().get_readonly_fields(request, obj) if f not in self.masked]
        return [*shown, "masked_text"]

    @admin.display(description=gettext_lazy("Isi (NIK disamarkan)"))
    def masked_text(self, obj) -> str:
        return "\n\n".join(mask_niks(getattr(obj, name)) for name in self.masked)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(MaskedTextAdmin):
    """The delivery log of outbound webhooks."""

    list_display = ("created_at", "endpoint", "event", "status", "attempts", "last_status_code")
    list_filter = ("status", "event")
    search_fields = ("ref", "event")
    masked = ("body", "response_body")


@admin.register(OutboundMessage)
class OutboundMessageAdmin(MaskedTextAdmin):
    list_display = ("created_at", "channel", "backend", "to", "ref")
    list_filter = ("channel", "backend")
    masked = ("text",)
