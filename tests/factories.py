"""factory_boy factories for the cast and their records."""

from __future__ import annotations

import factory
from django.contrib.auth.models import Group, User
from django.utils import timezone

from alerts.models import OPEN_FOR_REPORTS, Alarm, SituationType
from registry.models import Custodian, QRCode, Subject

PASSWORD = "a-long-test-passphrase"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            for name in extracted:
                self.groups.add(Group.objects.get(name=name))


class CustodianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Custodian

    user = factory.SubFactory(UserFactory, groups=["Custodians"])
    phone_number = factory.Sequence(lambda n: f"+5255{n:08d}")
    language = "es"


class SubjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subject

    custodian = factory.SubFactory(CustodianFactory)
    name = factory.Faker("name")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=3, maximum_age=90)


class QRCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QRCode

    subject = factory.SubFactory(SubjectFactory)
    is_active = True


class AlarmFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Alarm

    qr_code = factory.SubFactory(QRCodeFactory)
    subject = factory.LazyAttribute(lambda a: a.qr_code.subject)
    situation_type = SituationType.LOST
    description = "Found near the fountain"
    location = "Parque México"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """A code has one open alarm (alerts_one_open_alarm_per_code): a newer one made here closes grouping on
        the code's open one, as a report past the cooldown would, so tests can still make several."""
        qr_code = kwargs.get("qr_code")
        if qr_code is not None and not kwargs.get("is_test") and kwargs.get("resolved_at") is None:
            model_class.objects.filter(OPEN_FOR_REPORTS, qr_code=qr_code).update(grouping_closed_at=timezone.now())
        return super()._create(model_class, *args, **kwargs)
