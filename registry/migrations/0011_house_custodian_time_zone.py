from django.db import migrations, models

import registry.models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0010_house_subject_display_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="custodian",
            name="time_zone",
            field=models.CharField(
                blank=True,
                max_length=64,
                validators=[registry.models.validate_time_zone],
                verbose_name="time zone",
            ),
        ),
    ]
