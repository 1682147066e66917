"""The Analyst, Curator and Viewer groups belong to core now. They already exist wherever
vizorch_site's 0002 ran; creating them again is a no-op, and a database reset to before this
migration keeps them (vizorch_site's history still owns their creation)."""

from django.db import migrations

ROLES = ("Analyst", "Curator", "Viewer")


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_apitoken_table_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
