"""The task worker's "next task" query stays one index read however long the mail backlog."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from signatories.tasks import send_signature_email

BACKLOG = 2000


def next_task_and_plan():
    """Claim the next task with the worker's own query (django_tasks_db's db_worker); the task
    and PostgreSQL's plan for that query."""
    tasks = DBTaskResult.objects.ready().filter(backend_name="default")
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        task = tasks.get_locked()
    [claim] = [q["sql"] for q in queries.captured_queries if "SKIP LOCKED" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {claim}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    return task, plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL query plan")
def test_the_next_task_of_a_backlog_is_read_from_an_index_without_sorting(db, database_tasks):
    # Statistics from a quiet moment, with nothing queued: a site's state before a spike.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE django_tasks_database_dbtaskresult")
    first = send_signature_email.enqueue(1, 1)
    model = DBTaskResult.objects.get(pk=first.id)
    DBTaskResult.objects.bulk_create(
        DBTaskResult(
            args_kwargs={"args": [n, 1], "kwargs": {}},
            task_path=model.task_path,
            queue_name=model.queue_name,
            backend_name=model.backend_name,
            priority=model.priority,
            run_after=model.run_after,
        )
        for n in range(2, BACKLOG + 1)
    )

    task, plan = next_task_and_plan()

    assert str(task.pk) == first.id
    assert "tasks_ready_by_backend" in plan
    assert "Sort" not in plan
