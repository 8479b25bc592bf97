"""Back-office for referrals: reference data editable; referrals and their history read-only
(they change only through the services, which keep the audit trail)."""

from django.contrib import admin

from sigap.core.admin import HistoryAdmin
from sigap.regions.services import mask_nik

from .models import Referral, ReferralAnswer, ReferralEvent, ReferralReason, SisruteCredential


@admin.register(ReferralReason)
class ReferralReasonAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "needs_text", "sort")


class EventInline(admin.TabularInline):
    model = ReferralEvent
    extra = 0
    can_delete = False
    fields = ("at", "action", "from_status", "to_status", "facility", "actor_label", "note")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Referral)
class ReferralAdmin(HistoryAdmin):
    list_display = (
        "number",
        "status",
        "urgency",
        "payer",
        "sender_label",
        "receiver",
        "masked_nik",
        "created_at",
    )
    list_filter = ("status", "urgency", "payer", "kind", "is_synthetic")
    search_fields = ("number", "incident_ref")
    date_hierarchy = "created_at"
    exclude = ("patient_nik",)  # the NIK stays on the referral page, for the people involved
    inlines = [EventInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "patient_nik"]

    @admin.display(description="NIK")
    def masked_nik(self, obj: Referral) -> str:
        return mask_nik(obj.patient_nik)


@admin.register(ReferralAnswer)
class ReferralAnswerAdmin(HistoryAdmin):
    list_display = ("referral", "facility", "payer", "urgency", "outcome", "seconds", "answered_at")
    list_filter = ("outcome", "payer", "urgency")


@admin.register(SisruteCredential)
class SisruteCredentialAdmin(admin.ModelAdmin):
    """Credentials are issued with the services (the password is shown once); here they can
    be looked up, switched off, and given the ALASAN/DIAGNOSA shape the consumer's SIMRS reads."""

    list_display = ("cons_id", "facility", "is_active", "coded_shape", "created_at")
    fields = ("facility", "cons_id", "is_active", "coded_shape")
    readonly_fields = ("facility", "cons_id")

    def has_add_permission(self, request):
        return False
