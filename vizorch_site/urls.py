from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from vizorch_site import views
from vizorch_site.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", views.SignOutView.as_view(), name="logout"),
    path("sandbox/", views.sandbox, name="sandbox"),
    path("ping", views.ping, name="ping"),
    path("", views.portal, name="portal"),
    re_path(r"^app/(?P<path>.*)$", views.portal, name="portal-route"),
    # Everything else but the API (typed JSON 404s, vizorch_site.errors) and static files.
    re_path(r"^(?!api/|static/)(?P<path>.*)$", views.not_found, name="not-found"),
]
