from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("alerts", "0005_alarm_grouping_closed_at")]

    operations = [
        migrations.AddConstraint(
            model_name="alarm",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    ("grouping_closed_at__isnull", True), ("is_test", False), ("resolved_at__isnull", True)
                ),
                fields=("qr_code",),
                name="alerts_one_open_alarm_per_code",
            ),
        ),
    ]
