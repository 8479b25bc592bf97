"""Back-office for the facility registry. Saves go through the services' validation and
leave audit records like every other change."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from sigap.core.errors import SigapError
from sigap.core.services import Actor, Channel, record_audit
from sigap.regions.models import Region

from . import services
from .models import Facility, FacilityKind, FacilityOperator, Kind, Service


class KecamatanFilter(admin.SimpleListFilter):
    title = _("kecamatan")
    parameter_name = "kecamatan"

    def lookups(self, request, model_admin):
        area = getattr(request.user, "area_code", "") or settings.SIGAP_AREA_CODE
        ids = Facility.objects.values_list("village__parent_id", flat=True).distinct()
        qs = Region.objects.filter(code__in=ids, level=Region.Level.DISTRICT)
        if area:
            qs = qs.filter(code__startswith=area[:4])
        return [(r.code, r.name) for r in qs.order_by("name")]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(village__parent_id=self.value())
        return queryset


class FacilityOperatorInline(admin.TabularInline):
    model = FacilityOperator
    extra = 0
    autocomplete_fields = ("user",)


class FacilityForm(forms.ModelForm):
    class Meta:
        model = Facility
        fields = (
            "name",
            "kind",
            "ownership",
            "hospital_class",
            "parent",
            "kemenkes_code",
            "bpjs_kodeppk",
            "village",
            "latitude",
            "longitude",
            "address",
            "phone",
            "emergency_phone",
            "services",
            "catchment",
            "is_active",
            "is_synthetic",
        )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        village = data.get("village")
        kind = data.get("kind")
        inp = services.FacilityInput(
            name=data.get("name") or "",
            kind=kind.code if kind else "",
            ownership=data.get("ownership") or "",
            village_code=village.code if village else "",
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
            hospital_class=data.get("hospital_class") or "",
            parent=data.get("parent"),
            bpjs_kodeppk=data.get("bpjs_kodeppk") or None,
            services=[s.code for s in data.get("services") or []],
        )
        try:
            services.validate(inp, instance=self.instance if self.instance.pk else None)
        except SigapError as exc:
            field = exc.field if exc.field in self.fields else None
            if exc.field == "village_code":
                field = "village"
            self.add_error(field, str(exc.message))
        return data


@admin.register(Facility)
class FacilityAdmin(admin.ModelAdmin):
    form = FacilityForm
    list_display = (
        "name",
        "kind",
        "ownership",
        "hospital_class",
        "village",
        "phone",
        "is_active",
        "is_synthetic",
    )
    list_filter = (
        "kind",
        KecamatanFilter,
        "ownership",
        "hospital_class",
        "services",
        "is_active",
        "is_synthetic",
    )
    search_fields = ("name", "kemenkes_code", "bpjs_kodeppk", "village__name")
    list_select_related = ("kind", "village")
    autocomplete_fields = ("village", "parent")
    filter_horizontal = ("services", "catchment")
    inlines = [FacilityOperatorInline]
    readonly_fields = ("public_id", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "kind", "ownership", "hospital_class", "parent")}),
        (_("Kode"), {"fields": ("kemenkes_code", "bpjs_kodeppk")}),
        (
            _("Lokasi dan kontak"),
            {"fields": ("village", "latitude", "longitude", "address", "phone", "emergency_phone")},
        ),
        (_("Layanan dan wilayah kerja"), {"fields": ("services", "catchment")}),
        (
            _("Status"),
            {"fields": ("is_active", "is_synthetic", "public_id", "created_at", "updated_at")},
        ),
    )

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "catchment":
            # All of Indonesia would be 83,762 options: offer the kelurahan of the
            # facility's kab/kota (or of the admin's area when adding).
            obj_id = (
                request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            )
            prefix = ""
            if obj_id:
                village_id = (
                    Facility.objects.filter(pk=obj_id).values_list("village_id", flat=True).first()
                )
                prefix = (village_id or "")[:4]
            prefix = prefix or getattr(request.user, "area_code", "") or settings.SIGAP_AREA_CODE
            kwargs["queryset"] = Region.objects.filter(
                level=Region.Level.VILLAGE, code__startswith=prefix
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        qs, dup = super().get_search_results(request, queryset, search_term)
        if request.GET.get("field_name") == "parent":
            qs = qs.filter(kind_id=Kind.PUSKESMAS)
        return qs, dup

    @staticmethod
    def _snapshot(obj: Facility) -> dict:
        snap = services.snapshot(obj)
        snap["catchment"] = sorted(obj.catchment.values_list("code", flat=True))
        snap["operators"] = sorted(obj.operators.values_list("username", flat=True))
        return snap

    def save_model(self, request, obj, form, change):
        # kept on the request: the ModelAdmin instance is shared between threads
        request._sigap_facility_before = (
            self._snapshot(Facility.objects.get(pk=obj.pk)) if change else None
        )
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        before = getattr(request, "_sigap_facility_before", None)
        after = self._snapshot(obj)
        if before != after:
            actor = Actor.from_request(request, channel=Channel.ADMIN)
            action = "facility.update" if change else "facility.create"
            record_audit(actor, action, obj, before=before, after=after)


@admin.register(FacilityKind)
class FacilityKindAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "satusehat_code")


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "sort")
