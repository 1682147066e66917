from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("chat", "0002_run_worker_seen_at")]

    operations = [
        migrations.AddField(
            model_name="run",
            name="worker_id",
            field=models.CharField(blank=True, default="", max_length=100),
        ),
    ]
