"""factory_boy factories for the cast and their records."""

from __future__ import annotations

import factory
from django.contrib.auth.models import Group, User

from alerts.models import Alarm, SituationType
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
