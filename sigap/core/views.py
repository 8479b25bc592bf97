from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import nav, notify
from .auth import login_address_locked


def home(request: HttpRequest) -> HttpResponse:
    """Logged-in staff land on their work page; everyone else on the public bed board."""
    user = request.user
    if user.is_authenticated:
        target = nav.home_of(user)
        if target:
            return redirect(target)
    return redirect(nav.landing())


class LoginView(auth_views.LoginView):
    template_name = "core/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if login_address_locked(request):
            message = _(
                "Terlalu banyak percobaan masuk yang gagal dari alamat ini. Coba lagi nanti."
            )
            return render(
                request, "core/error.html", {"status": 429, "message": message}, status=429
            )
        return super().post(request, *args, **kwargs)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect(nav.landing())


def _error(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"code": code, "message": message, "field": None}, status=status)
    return render(request, "core/error.html", {"status": status, "message": message}, status=status)


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    return _error(request, 400, "bad_request", _("Permintaan tidak dapat diproses."))


def forbidden(request: HttpRequest, exception=None) -> HttpResponse:
    return _error(request, 403, "forbidden", _("Anda tidak berhak membuka halaman ini."))


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return _error(request, 404, "not_found", _("Halaman tidak ditemukan."))


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """The user's in-app notifications; POST marks them read."""
    if request.method == "POST":
        notify.mark_read(request.user)
        return redirect("notifications")
    items = request.user.notifications.all()[:100]
    return render(request, "core/notifications.html", {"items": items})
