from django.contrib import admin
from django.urls import include, path

from sigap.api import api
from sigap.core import ops
from sigap.core import views as core_views

# The JSON API first: it takes most of the traffic, and URL resolution tries patterns in order.
urlpatterns = [
    path("api/", api.urls),
    # operations: liveness, readiness, Prometheus (sigap.core.ops)
    path("healthz", ops.healthz, name="healthz"),
    path("readyz", ops.readyz, name="readyz"),
    path("metrics", ops.metrics, name="metrics"),
    path("", core_views.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("masuk/", core_views.LoginView.as_view(), name="login"),
    path("keluar/", core_views.logout_view, name="logout"),
    path("notifikasi/", core_views.notifications, name="notifications"),
    path("admin/", admin.site.urls),
    path("", include("sigap.beds.urls")),
    path("", include("sigap.beds.compat_urls")),
    path("", include("sigap.facilities.urls")),
    path("", include("sigap.emergency.urls")),
    path("", include("sigap.referrals.urls")),
    path("", include("sigap.homecare.urls")),
    path("", include("sigap.coverage.urls")),
    path("", include("sigap.nutrition.urls")),
    path("", include("sigap.access.urls")),
    path("", include("sigap.monitoring.urls")),
    path("fhir/", include("sigap.fhir.urls")),
]

handler400 = "sigap.core.views.bad_request"
handler403 = "sigap.core.views.forbidden"
handler404 = "sigap.core.views.not_found"
