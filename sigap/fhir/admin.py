"""Back-office of the SATUSEHAT client: the configuration (secret write-only), the ids
kept per record, and the delivery log."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from sigap.core.admin import HistoryAdmin
from sigap.core.services import Actor, record_audit

from . import satusehat, tasks
from .models import Kind, SatusehatAttempt, SatusehatConfig, SatusehatLink, SatusehatSubmission


class SatusehatConfigForm(forms.ModelForm):
    """The client secret is never shown back: a new one can be set (write-only); left empty
    on a change, the stored one stays."""

    new_client_secret = forms.CharField(
        label=gettext_lazy("Client secret baru"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text=gettext_lazy("Kosongkan untuk mempertahankan client secret yang tersimpan."),
    )

    class Meta:
        model = SatusehatConfig
        fields = ("name", "auth_url", "fhir_url", "organization_id", "client_id", "is_active")

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk and not cleaned.get("new_client_secret"):
            self.add_error("new_client_secret", _("Client secret wajib diisi."))
        return cleaned


@admin.register(SatusehatConfig)
class SatusehatConfigAdmin(admin.ModelAdmin):
    form = SatusehatConfigForm
    list_display = ("name", "fhir_url", "organization_id", "client_id", "is_active")
    fields = (
        "name", "auth_url", "fhir_url", "organization_id", "client_id", "new_client_secret",
        "is_active", "token_expires_at", "changes_seen_at",
    )  # fmt: skip
    readonly_fields = ("token_expires_at", "changes_seen_at")
    actions = ("register_all",)

    @admin.action(description=gettext_lazy("Daftarkan semua fasilitas dan ruang ke SATUSEHAT"))
    def register_all(self, request, queryset):
        # thousands of rows: queued by the worker, not in this request
        for kind in (Kind.FACILITY, Kind.ROOM):
            tasks.queue_kind.enqueue(kind.value)
        actor = Actor.from_request(request, "admin")
        for config in queryset:
            record_audit(actor, "satusehat.register_all", config)
        self.message_user(
            request, _("Fasilitas dan ruang akan diantrekan oleh worker."), messages.SUCCESS
        )

    def save_model(self, request, obj, form, change):
        secret = form.cleaned_data.get("new_client_secret")
        if secret:
            obj.client_secret = secret
            obj.access_token, obj.token_expires_at = "", None  # a token of the old secret
        super().save_model(request, obj, form, change)
        record_audit(Actor.from_request(request, "admin"), "satusehat_config.save", obj,
                     after={"fhir_url": obj.fhir_url, "organization_id": obj.organization_id,
                            "client_id": obj.client_id, "active": obj.is_active,
                            "new_client_secret": bool(secret)})  # fmt: skip


@admin.register(SatusehatLink)
class SatusehatLinkAdmin(HistoryAdmin):
    list_display = ("kind", "object_pk", "resource_type", "part", "satusehat_id",
                    "version_id", "last_submitted_at")  # fmt: skip
    list_filter = ("kind", "resource_type")
    search_fields = ("satusehat_id",)


class AttemptInline(admin.TabularInline):
    model = SatusehatAttempt
    extra = 0
    can_delete = False
    fields = ("at", "requests", "status_code", "ok", "outcome")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SatusehatSubmission)
class SatusehatSubmissionAdmin(HistoryAdmin):
    """The delivery log: each record queued, its attempts and SATUSEHAT's answers."""

    list_display = ("created_at", "kind", "label", "status", "attempts", "last_status_code",
                    "next_attempt_at", "delivered_at")  # fmt: skip
    list_filter = ("status", "kind")
    search_fields = ("label", "summary")
    inlines = (AttemptInline,)
    actions = ("queue_again",)

    @admin.action(description=gettext_lazy("Antrekan ulang"))
    def queue_again(self, request, queryset):
        actor = Actor.from_request(request, "admin")
        queued = 0
        for row in queryset.exclude(status=SatusehatSubmission.Status.PENDING):
            again = satusehat.enqueue(row.kind, row.object_pk, label=row.label, config=row.config)
            if again is not None:
                queued += 1
                record_audit(actor, "satusehat_submission.queue_again", again,
                             after={"kind": row.kind, "object_pk": row.object_pk})  # fmt: skip
        msg = ngettext("%(n)d data diantrekan ulang.", "%(n)d data diantrekan ulang.", queued)
        self.message_user(request, msg % {"n": queued}, messages.SUCCESS)
