"""Households: several custodians per subject. Every existing subject's custodian becomes its first custodian."""

import django.db.models.deletion
from django.db import migrations, models


def first_custodians(apps, schema_editor):
    Subject = apps.get_model("registry", "Subject")
    Custodianship = apps.get_model("registry", "Custodianship")
    Custodianship.objects.bulk_create(
        [
            Custodianship(subject_id=pk, custodian_id=custodian_id, role="owner")
            for pk, custodian_id in Subject.objects.values_list("pk", "custodian_id").iterator()
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("registry", "0007_subject_what_the_doctor_sees")]

    operations = [
        migrations.CreateModel(
            name="Custodianship",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "role",
                    models.CharField(
                        choices=[("owner", "First custodian"), ("co", "Co-custodian")],
                        default="co",
                        max_length=8,
                        verbose_name="role",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "custodian",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="custodianships",
                        to="registry.custodian",
                    ),
                ),
                (
                    "subject",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="custodianships",
                        to="registry.subject",
                    ),
                ),
            ],
            options={
                "verbose_name": "custodianship",
                "verbose_name_plural": "custodianships",
                "ordering": ["subject", "created_at", "pk"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("subject", "custodian"), name="registry_one_custodianship_per_pair"
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("role", "owner")),
                        fields=("subject",),
                        name="registry_one_first_custodian_per_subject",
                    ),
                ],
            },
        ),
        migrations.RunPython(first_custodians, migrations.RunPython.noop),
    ]
