import uuid

from django.db import migrations, models


def fill_short_codes(apps, schema_editor):
    QRCode = apps.get_model("registry", "QRCode")
    for code in QRCode.objects.filter(short_code__isnull=True).only("pk", "uuid").iterator():
        QRCode.objects.filter(pk=code.pk).update(short_code=uuid.UUID(str(code.uuid)).hex[:8].upper())


class Migration(migrations.Migration):
    dependencies = [("registry", "0003_encrypted_fields_photo_public_profile_verification")]

    operations = [
        migrations.AddField(
            model_name="qrcode", name="short_code", field=models.CharField(max_length=8, null=True, editable=False)
        ),
        migrations.RunPython(fill_short_codes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="qrcode",
            name="short_code",
            field=models.CharField(editable=False, max_length=8, unique=True),
        ),
    ]
