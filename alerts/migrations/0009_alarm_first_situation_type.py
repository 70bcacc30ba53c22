from django.db import migrations, models
from django.db.models import F


def copy_situation(apps, schema_editor):
    Alarm = apps.get_model("alerts", "Alarm")
    Alarm.objects.filter(first_situation_type="").update(first_situation_type=F("situation_type"))


class Migration(migrations.Migration):
    dependencies = [("alerts", "0008_alarm_notes")]

    operations = [
        migrations.AddField(
            model_name="alarm",
            name="first_situation_type",
            field=models.CharField(
                blank=True,
                choices=[
                    ("TEST", "Test scan"),
                    ("INJURED", "Subject injured"),
                    ("LOST", "Subject lost"),
                    ("CONTACT", "Subject needs contact"),
                ],
                max_length=20,
                default="",
                db_default="",
            ),
        ),
        migrations.RunPython(copy_situation, migrations.RunPython.noop),
    ]
