"""Queueing a task together with the change that calls for it."""

import functools

from django.db import connections, router, transaction
from django.db.models import AutoField, BigAutoField, SmallAutoField
from django.db.models.signals import post_save, pre_save
from django.tasks.signals import task_enqueued


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


def create_with_task(obj, task, *args, **kwargs):
    """Insert the new `obj` and queue `task(obj.pk, *args, **kwargs)`: both, or neither.

    Raises IntegrityError, with nothing written, when `obj` breaks a constraint. Every column
    is written from `obj`: a database default (db_default), which save() leaves to the
    database, is not supported.

    With the database backend on PostgreSQL, both rows go in one statement, in autocommit when
    the caller has no transaction open. Signing is the site's busiest write: the ORM's two
    INSERTs between BEGIN and COMMIT took four round trips, and building them took a third of
    the signing request's CPU (2.7-2.9 ms a request in-process, 2.0 ms with this). Anywhere
    else, Model.save() and enqueue_with_transaction() inside one transaction.
    """
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    model = type(obj)
    using = router.db_for_write(model)
    connection = connections[using]
    backend = task.get_backend()
    if not (
        isinstance(backend, DatabaseBackend)
        and connection.vendor == "postgresql"
        and router.db_for_write(DBTaskResult) == using
    ):
        # A savepoint when the caller's transaction is open, which a refused row leaves usable.
        with transaction.atomic(using=using):
            obj.save(force_insert=True, using=using)
            enqueue_with_transaction(task, obj.pk, *args, **kwargs)
        return obj
    if model._meta.parents:
        raise TypeError("create_with_task writes one table; save() a model with parents.")
    # As save() does: refuses an unsaved related object, copies a related object's key.
    obj._prepare_related_fields_for_save(operation_name="create_with_task")
    queued = queued_task_row(backend, task, (None, *args), kwargs)
    statement, obj_fields, task_fields = insert_with_task_statement(model, DBTaskResult, using)
    # Model.save()'s signals, which the library's own handlers need (one fills run_after).
    for row in (obj, queued):
        pre_save.send(type(row), instance=row, raw=False, using=using, update_fields=None)
    params = insert_values(obj, obj_fields, connection) + insert_values(
        queued, task_fields, connection
    )
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            # A savepoint: a refused row would otherwise abort the caller's transaction.
            with transaction.atomic(using=using):
                cursor.execute(statement, params)
        else:
            cursor.execute(statement, params)
        (obj.pk,) = cursor.fetchone()
    queued.args_kwargs["args"][0] = obj.pk
    for row in (obj, queued):
        row._state.adding, row._state.db = False, using
        post_save.send(
            type(row), instance=row, created=True, raw=False, using=using, update_fields=None
        )
    task_enqueued.send(type(backend), task_result=queued.task_result)
    return obj


def queued_task_row(backend, task, args, kwargs):
    """The unsaved row that django_tasks_db's DatabaseBackend.enqueue() writes for this call.

    tests/test_create_with_task.py compares it with the row the library writes, so that a new
    version of the library that writes another one fails the tests rather than the worker.
    """
    from django_tasks_db.compat import normalize_json
    from django_tasks_db.models import DBTaskResult

    backend.validate_task(task)
    return DBTaskResult(
        id=backend._get_id(),
        args_kwargs=normalize_json({"args": args, "kwargs": kwargs}),
        priority=task.priority,
        task_path=task.module_path,
        queue_name=task.queue_name,
        run_after=task.run_after,
        backend_name=backend.alias,
    )


AUTO_FIELDS = (AutoField, BigAutoField, SmallAutoField)


@functools.cache
def insert_with_task_statement(model, task_model, using):
    """create_with_task's statement for `model` and its parameters' fields, built once.

    Every concrete column but a key the database numbers, as Django's own INSERT. Only quoted
    names from the models' metadata are put into the text; every value is a parameter.
    """
    quote = connections[using].ops.quote_name

    def insert(model):
        fields = [
            field
            for field in model._meta.local_concrete_fields
            if not isinstance(field, AUTO_FIELDS) and not field.generated
        ]
        columns = ", ".join(quote(field.column) for field in fields)
        return f"INSERT INTO {quote(model._meta.db_table)} ({columns})", fields

    row_insert, row_fields = insert(model)
    task_insert, task_fields = insert(task_model)
    # The task's first argument is the new row's key, known only inside the statement.
    task_values = [
        "jsonb_set(%s, '{args,0}', to_jsonb(new_row.id))" if field.name == "args_kwargs" else "%s"
        for field in task_fields
    ]
    statement = (
        f"WITH new_row AS ({row_insert} VALUES ({', '.join(['%s'] * len(row_fields))})"  # noqa: S608
        f" RETURNING {quote(model._meta.pk.column)} AS id),"
        f" new_task AS ({task_insert} SELECT {', '.join(task_values)} FROM new_row)"
        " SELECT id FROM new_row"
    )
    return statement, row_fields, task_fields


def insert_values(obj, fields, connection):
    """The values of `fields` of the new `obj`, as Model.save() would write them."""
    return [field.get_db_prep_save(field.pre_save(obj, add=True), connection) for field in fields]
