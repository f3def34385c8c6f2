"""Queueing a task together with the change that calls for it."""

import functools

from django.db import connections, router, transaction
from django.db.models import AutoField, BigAutoField, SmallAutoField
from django.db.models.signals import post_save, pre_save
from django.tasks.signals import task_enqueued

# The queue of the tasks that send email, which the worker leaves alone while the machine is
# saturated (signatories/worker.py). One of settings.TASK_QUEUES.
EMAIL_QUEUE = "email"


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


def in_one_statement(model, task):
    """Whether a change to `model` and `task`'s row can be written in one statement: with the
    database backend, on PostgreSQL, in the same database."""
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    using = router.db_for_write(model)
    return (
        isinstance(task.get_backend(), DatabaseBackend)
        and connections[using].vendor == "postgresql"
        and router.db_for_write(DBTaskResult) == using
    )


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
    model = type(obj)
    using = router.db_for_write(model)
    connection = connections[using]
    if not in_one_statement(model, task):
        # A savepoint when the caller's transaction is open, which a refused row leaves usable.
        with transaction.atomic(using=using):
            obj.save(force_insert=True, using=using)
            enqueue_with_transaction(task, obj.pk, *args, **kwargs)
        return obj
    if model._meta.parents:
        raise TypeError("create_with_task writes one table; save() a model with parents.")
    # As save() does: refuses an unsaved related object, copies a related object's key.
    obj._prepare_related_fields_for_save(operation_name="create_with_task")
    queued = queued_task_row(task, (None, *args), kwargs)
    # Model.save()'s signals, which the library's own handlers need (one fills run_after).
    for row in (obj, queued):
        pre_save.send(type(row), instance=row, raw=False, using=using, update_fields=None)
    obj_values = insert_values(obj, insert_clause(model, using)[1], connection)
    task_values = insert_values(queued, insert_clause(type(queued), using)[1], connection)
    # A None is written as NULL in the text: psycopg keeps its parsing of a statement only for
    # 50 parameters or fewer, and a signature and its task have 52 columns. Parsing the text
    # again took 0.12 ms of each signing request.
    statement = insert_with_task_statement(
        model, type(queued), using, nulls(obj_values), nulls(task_values)
    )
    params = [value for value in obj_values + task_values if value is not None]
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
        saved(row, using)
    task_enqueued.send(type(task.get_backend()), task_result=queued.task_result)
    return obj


def update_with_task(
    obj, *, changes, where, counter, below, task, task_args=(), task_kwargs=None, also=None
):
    """In one statement: apply `changes` to `obj`'s row and add one to its `counter` column if
    the row still matches `where` and the counter is below `below`; queue
    `task(obj.pk, the counter's new value, *task_args, **task_kwargs)`; and insert `also`, an
    unsaved row of a model without parents, when given. All of it, or nothing.

    For the database backend on PostgreSQL (in_one_statement(), which the caller checks).
    `changes` and `where` map field names to plain values (a related row by its attname,
    `reviewed_by_id`, not the object); None in `where` is IS NULL; `changes` may not set the
    counter. Returns the counter's new value, or None when nothing was written: the row no
    longer matches `where`, or its counter has reached `below`. Like QuerySet.update() it sends
    no signals for `obj`; the task's row and `also` get Model.save()'s, and `also` its key.
    """
    if counter in changes:
        raise ValueError("update_with_task adds one to the counter; changes may not set it.")
    model = type(obj)
    using = router.db_for_write(model)
    connection = connections[using]
    meta = model._meta
    queued = queued_task_row(task, (obj.pk, None, *task_args), task_kwargs or {})
    rows = [queued]
    if also is not None:
        if also._meta.parents:
            raise TypeError("update_with_task inserts into one table; `also` has parents.")
        also._prepare_related_fields_for_save(operation_name="update_with_task")
        rows.insert(0, also)
    for row in rows:
        pre_save.send(type(row), instance=row, raw=False, using=using, update_fields=None)
    statement = update_with_task_statement(
        model,
        tuple(changes),
        tuple((name, value is None) for name, value in where.items()),
        counter,
        None if also is None else type(also),
        type(queued),
        using,
    )
    params = [
        meta.get_field(name).get_db_prep_save(value, connection) for name, value in changes.items()
    ]
    params.append(obj.pk)
    params += [
        meta.get_field(name).get_db_prep_save(value, connection)
        for name, value in where.items()
        if value is not None
    ]
    params.append(below)
    for row in rows:
        params += insert_values(row, insert_clause(type(row), using)[1], connection)
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        found = cursor.fetchone()
    if found is None:
        return None
    for name, value in changes.items():
        setattr(obj, name, value)
    setattr(obj, counter, found[0])
    queued.args_kwargs["args"][1] = found[0]
    if also is not None:
        also.pk = found[1]
    for row in rows:
        saved(row, using)
    task_enqueued.send(type(task.get_backend()), task_result=queued.task_result)
    return found[0]


def saved(row, using):
    """What Model.save() does after its INSERT: the row is stored, and post_save is sent."""
    row._state.adding, row._state.db = False, using
    post_save.send(
        type(row), instance=row, created=True, raw=False, using=using, update_fields=None
    )


def queued_task_row(task, args, kwargs):
    """The unsaved row that django_tasks_db's DatabaseBackend.enqueue() writes for this call.

    tests/test_create_with_task.py compares it with the row the library writes, so that a new
    version of the library that writes another one fails the tests rather than the worker.
    """
    from django_tasks_db.compat import normalize_json
    from django_tasks_db.models import DBTaskResult

    backend = task.get_backend()
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
def insert_clause(model, using):
    """ "INSERT INTO table (columns)" for `model`, and the fields in the columns' order.

    Every concrete column but a key the database numbers, as Django's own INSERT. Only quoted
    names from the model's metadata are put into the text; every value is a parameter.
    """
    quote = connections[using].ops.quote_name
    fields = [
        field
        for field in model._meta.local_concrete_fields
        if not isinstance(field, AUTO_FIELDS) and not field.generated
    ]
    columns = ", ".join(quote(field.column) for field in fields)
    return f"INSERT INTO {quote(model._meta.db_table)} ({columns})", fields


def nulls(values):
    """Which of `values` are None, as a statement's shape: see value_list()."""
    return tuple(value is None for value in values)


def value_list(fields, null_mask=None, *, argument=None, source=None):
    """The values of an INSERT's row, a placeholder for each field, or NULL where `null_mask`
    (from nulls()) says the value is None (and no parameter is passed). With `argument`, the
    task's args_kwargs gets `source` (SQL) as its argument number `argument`: a value known only
    inside the statement.
    """
    null_mask = null_mask or (False,) * len(fields)
    return ", ".join(
        "NULL"
        if is_null
        else f"jsonb_set(%s, '{{args,{argument}}}', to_jsonb({source}))"
        if argument is not None and field.name == "args_kwargs"
        else "%s"
        for field, is_null in zip(fields, null_mask, strict=True)
    )


@functools.cache
def insert_with_task_statement(model, task_model, using, obj_nulls, task_nulls):
    """create_with_task's statement for `model`, built once per shape (which values are None)."""
    quote = connections[using].ops.quote_name
    row_insert, row_fields = insert_clause(model, using)
    task_insert, task_fields = insert_clause(task_model, using)
    # The task's first argument is the new row's key, known only inside the statement.
    task_row = value_list(task_fields, task_nulls, argument=0, source="new_row.id")
    return (
        f"WITH new_row AS ({row_insert} VALUES ({value_list(row_fields, obj_nulls)})"  # noqa: S608
        f" RETURNING {quote(model._meta.pk.column)} AS id),"
        f" new_task AS ({task_insert} SELECT {task_row} FROM new_row) SELECT id FROM new_row"
    )


@functools.cache
def update_with_task_statement(model, changed, conditions, counter, also_model, task_model, using):
    """update_with_task's statement, built once per shape: `changed` names the fields set,
    `conditions` is ((field name, is None), ...), `also_model` the extra row's model or None.

    Parameters: the changed values, the key, the conditions' values (but the Nones), the
    counter's bound, then the extra row's and the task's columns as insert_clause() lists them.
    """
    quote = connections[using].ops.quote_name
    meta = model._meta
    column = {name: quote(meta.get_field(name).column) for name in (*changed, counter)}
    assignments = [f"{column[name]} = %s" for name in changed]
    assignments.append(f"{column[counter]} = {column[counter]} + 1")
    where = [f"{quote(meta.pk.column)} = %s"] + [
        f"{quote(meta.get_field(name).column)} IS NULL"
        if is_none
        else f"{quote(meta.get_field(name).column)} = %s"
        for name, is_none in conditions
    ]
    where.append(f"{column[counter]} < %s")
    parts = [
        f"WITH changed AS (UPDATE {quote(meta.db_table)} SET {', '.join(assignments)}"  # noqa: S608
        f" WHERE {' AND '.join(where)} RETURNING {column[counter]} AS counter)"
    ]
    if also_model is not None:
        also_insert, also_fields = insert_clause(also_model, using)
        parts.append(
            f"also AS ({also_insert} SELECT {value_list(also_fields)} FROM changed"  # noqa: S608
            f" RETURNING {quote(also_model._meta.pk.column)} AS id)"
        )
    task_insert, task_fields = insert_clause(task_model, using)
    # The task's second argument is the counter's new value, known only inside the statement.
    parts.append(
        f"new_task AS ({task_insert}"  # noqa: S608
        f" SELECT {value_list(task_fields, argument=1, source='changed.counter')} FROM changed)"
    )
    also_key = ", (SELECT id FROM also)" if also_model is not None else ""
    return ", ".join(parts) + f" SELECT counter{also_key} FROM changed"  # noqa: S608


def insert_values(obj, fields, connection):
    """The values of `fields` of the new `obj`, as Model.save() would write them."""
    return [field.get_db_prep_save(field.pre_save(obj, add=True), connection) for field in fields]
