"""Queueing a task together with the change that calls for it."""

from django.db import transaction


def enqueue_with_transaction(task, *args, **kwargs):
    """Queue `task` so that it exists exactly when the current transaction commits.

    With the database backend the task is a row in the same database: written inside the
    transaction, it commits or rolls back with the change (one commit, where queueing after
    the commit took a second one). Any other backend (the immediate one of the demo and tests)
    runs or sends it only after the commit, so it never acts on a change that was rolled back.
    """
    from django_tasks_db import DatabaseBackend

    if (
        isinstance(task.get_backend(), DatabaseBackend)
        and transaction.get_connection().in_atomic_block
    ):
        task.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(lambda: task.enqueue(*args, **kwargs))
