from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from vizorch_site import views
from vizorch_site.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("sandbox/", views.sandbox, name="sandbox"),
    path("ping", views.ping, name="ping"),
    path("", views.portal, name="portal"),
    re_path(r"^app/(?P<path>.*)$", views.portal, name="portal-route"),
]
