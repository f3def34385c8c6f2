"""An index for the task worker's "next task" query, on django-tasks-db's own table.

The worker asks for the next ready task of its backend, in priority order, one row at a time
(SELECT … WHERE status = 'READY' AND backend_name = %s ORDER BY priority DESC, run_after,
enqueued_at LIMIT 1 FOR UPDATE SKIP LOCKED). django-tasks-db's ordering index leaves the backend
out, so when the table's statistics predate a backlog (a fresh deployment, or any quiet day
before a spike of signatures) PostgreSQL combines it with the backend index in a bitmap and
sorts every ready task for each claim: 3 ms at 3,000 queued emails, 16-20 ms at 20,000, so the
worker falls further behind the longer the spike lasts. With the backend as the leading column
the query reads the first row of this index: 0.04 ms at either size (EXPLAIN ANALYZE on the bench
database, statistics reset as before a spike).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
        ("signatories", "0010_listed_recent_index"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX tasks_ready_by_backend ON django_tasks_database_dbtaskresult"
            " (backend_name, priority DESC, run_after, enqueued_at) WHERE status = 'READY'",
            reverse_sql="DROP INDEX tasks_ready_by_backend",
        ),
    ]
