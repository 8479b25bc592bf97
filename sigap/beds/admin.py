import hashlib
import secrets

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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


class SirsCredentialForm(forms.ModelForm):
    """The stored MD5 grants access, so it is never shown back: a new password can be set
    (write-only); left empty on a new credential, SIGAP makes one and shows it once."""

    new_password = forms.CharField(
        label=gettext_lazy("Kata sandi baru"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=gettext_lazy(
            "Kosongkan untuk mempertahankan kata sandi yang ada (kredensial baru: SIGAP "
            "membuatkannya dan menampilkannya sekali)."
        ),
    )

    class Meta:
        model = SirsCredential
        fields = ("facility", "rs_id", "is_active")


@admin.register(SirsCredential)
class SirsCredentialAdmin(admin.ModelAdmin):
    form = SirsCredentialForm
    list_display = ("rs_id", "facility", "is_active", "created_at")
    fields = ("facility", "rs_id", "new_password", "is_active")
    autocomplete_fields = ("facility",)

    def save_model(self, request, obj, form, change):
        password = form.cleaned_data.get("new_password")
        if not password and not change:
            password = secrets.token_urlsafe(18)
            msg = _("Kata sandi SIRS untuk %(rs_id)s (ditampilkan sekali, catat sekarang): %(pw)s")
            messages.warning(request, msg % {"rs_id": obj.rs_id, "pw": password})
        if password:
            obj.password_md5 = hashlib.md5(password.encode(), usedforsecurity=False).hexdigest()
        super().save_model(request, obj, form, change)
        record_audit(Actor.from_request(request, "admin"), "sirs_credential.save", obj,
                     after={"rs_id": obj.rs_id, "active": obj.is_active,
                            "new_password": bool(password)})  # fmt: skip
