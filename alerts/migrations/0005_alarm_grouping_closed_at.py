"""The column that closes an alarm to new reports, and the data fix the one-open-alarm constraint needs.

Before the constraint, racing reports could leave a code with several open alarms. Each keeps its history and
stays unresolved (the family closes it); all but the newest stop taking reports, so the constraint in 0005
can be created. The constraint is a separate migration so the index is built after these rows are updated.
"""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery
from django.utils import timezone


def close_grouping_on_all_but_the_newest(apps, schema_editor):
    Alarm = apps.get_model("alerts", "Alarm")
    open_alarms = Alarm.objects.filter(
        resolved_at__isnull=True, grouping_closed_at__isnull=True, is_test=False, qr_code__isnull=False
    )
    newest = open_alarms.filter(qr_code_id=OuterRef("qr_code_id")).order_by("-timestamp", "-pk").values("pk")[:1]
    open_alarms.exclude(pk=Subquery(newest)).update(grouping_closed_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [("alerts", "0004_alarm_protects_subject_attempt_outlives_custodian")]

    operations = [
        migrations.AddField(
            model_name="alarm",
            name="grouping_closed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(close_grouping_on_all_but_the_newest, migrations.RunPython.noop),
    ]
