"""The drill's own world: a fresh PostgreSQL database, the variables every process shares, and seed data."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
CHANNEL_ORDER = "meta_whatsapp,twilio_whatsapp,twilio_sms,email"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_recreate(url: str) -> None:
    """Drop and create the drill's database, so every run counts only its own rows."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not name.replace("_", "").isalnum():
        raise ValueError(f"unexpected database name {name!r}")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def drill_env(*, database_url: str, redis_port: int, web_port: int, run_dir: Path, meta, twilio) -> dict[str, str]:
    """What production would set, pointed at this run's database, Redis, fakes and files."""
    base = f"http://127.0.0.1:{web_port}"
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("WHATSAPP_", "TWILIO_", "KERYU_", "CELERY_"))},
        "DJANGO_SETTINGS_MODULE": "drills.settings",
        "PYTHONUNBUFFERED": "1",
        "DEBUG": "false",
        "DJANGO_SECRET_KEY": "drill-" + Fernet.generate_key().decode(),
        "KERYU_PHONE_HASH_KEY": "drill-phone-hash-key",
        "KERYU_FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/1",
        "KERYU_VAR_DIR": str(run_dir / "var"),
        "KERYU_DRILL_MAIL_DIR": str(run_dir / "mail"),
        "KERYU_PUBLIC_BASE_URL": base,
        "TWILIO_STATUS_CALLBACK_BASE_URL": base,
        "PORT": str(web_port),
        "KERYU_BIND": "127.0.0.1",
        "KERYU_CHANNEL_ORDER": CHANNEL_ORDER,
        # Every finder here comes from 127.0.0.1; in production they come from many addresses. The per-code
        # limit stays as shipped. Within the cooldown a repeat report of a code is limited (and, with the
        # scan-cooldown feature, joins the open alarm); the scanner repeats codes only on purpose.
        "KERYU_SCAN_POST_RATE_PER_IP": "100000/600",
        "KERYU_SCAN_GET_RATE_PER_IP": "100000/600",
        "KERYU_SCAN_COOLDOWN_SECONDS": "60",
        "WHATSAPP_API_BASE_URL": meta.base_url,
        "WHATSAPP_API_VERSION": meta.version,
        "WHATSAPP_PHONE_NUMBER_ID": meta.phone_number_id,
        "WHATSAPP_ACCESS_TOKEN": meta.token,
        "WHATSAPP_APP_SECRET": meta.app_secret,
        "TWILIO_API_BASE_URL": twilio.base_url,
        "TWILIO_ACCOUNT_SID": twilio.account_sid,
        "TWILIO_AUTH_TOKEN": twilio.auth_token,
        "TWILIO_PHONE_NUMBER": "+15005550006",
        "TWILIO_WHATSAPP_NUMBER": "+14155238886",
    }


def migrate(env: dict[str, str], log: Path) -> None:
    with log.open("a") as out:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
        )


FIRST = ["Sofía", "Mateo", "Valentina", "Walter", "Lucía", "Diego", "Rosa", "Tomás", "Elena", "Hugo", "Inés", "Raúl"]
LAST = ["Arroyo", "Baker", "Cruz", "Díaz", "Ruiz", "Soto", "Vega", "Luna", "Mora", "Paz"]


def _channel(rng: random.Random) -> str:
    return rng.choices(["whatsapp", "sms", "email"], weights=[8, 1, 1])[0]


def seed(*, subjects: int, rng: random.Random) -> list[str]:
    """Custodians with two subjects each; every subject has an active code, two or three emergency contacts
    and sometimes a doctor. Meta's alarm templates are approved (as Meta's webhook or staff would record).
    Returns the active codes."""
    from django.contrib.auth.models import User
    from django.db import transaction

    from messaging.services import meta_template_status_update
    from registry.models import Custodian, EmergencyContact, Subject
    from registry.services import custodian_phone_hash_sync, qr_code_create

    for language in ("es_MX", "en_US"):
        meta_template_status_update(name="qr_template_on_m", language_code=language, status="APPROVED")
    codes: list[str] = []
    contact_no = 0
    with transaction.atomic():
        for i in range(subjects):
            if i % 2 == 0:
                n = i // 2
                user = User(
                    username=f"drill-custodian-{n}",
                    first_name=rng.choice(FIRST),
                    last_name=rng.choice(LAST),
                    email=f"custodian{n}@drill.keryu.test",
                )
                user.set_unusable_password()
                user.save()
                custodian = Custodian.objects.create(
                    user=user,
                    phone_number=f"+5255{20000000 + n:08d}",
                    language=rng.choice(["es", "en"]),
                    preferred_channel=_channel(rng),
                )
                custodian_phone_hash_sync(custodian=custodian)
            doctor = rng.random() < 0.35
            subject = Subject.objects.create(
                custodian=custodian,
                name=f"{rng.choice(FIRST)} {custodian.user.last_name}",
                doctor_name="Dra. Quiroz" if doctor else "",
                doctor_phone=f"+5255{30000000 + i:08d}" if doctor else "",
            )
            for order in range(rng.choice([2, 3])):
                contact_no += 1
                EmergencyContact.objects.create(
                    subject=subject,
                    name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                    phone_number=f"+5255{40000000 + contact_no:08d}",
                    email=f"contact{contact_no}@drill.keryu.test" if rng.random() < 0.5 else "",
                    preferred_channel=_channel(rng),
                    language=rng.choice(["es", "en"]),
                    sort_order=order,
                )
            codes.append(str(qr_code_create(subject=subject, activate=True).uuid))
    return codes
