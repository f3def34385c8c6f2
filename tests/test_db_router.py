from config.db_router import ReplicaRouter, read_from_replica
from signatories.models import Signature

router = ReplicaRouter()


def test_marked_views_read_from_the_replica_when_there_is_one(settings):
    settings.DATABASES = {**settings.DATABASES, "replica": settings.DATABASES["default"]}

    inside = read_from_replica(lambda: router.db_for_read(Signature))()

    assert inside == "replica"
    assert router.db_for_read(Signature) == "default"
    assert read_from_replica(lambda: router.db_for_write(Signature))() == "default"


def test_without_a_replica_everything_uses_the_primary():
    assert read_from_replica(lambda: router.db_for_read(Signature))() == "default"


def test_migrations_run_on_the_primary_only():
    assert router.allow_migrate("default", "signatories")
    assert not router.allow_migrate("replica", "signatories")
