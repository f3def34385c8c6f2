"""Queries the ORM builds and compiles once per process, then runs with new values."""

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models.query import ModelIterable

# Stand-ins for the arguments while the query is compiled: values no caller passes, each found
# again among the compiled parameters to know where the real value goes.
STAND_IN = {int: lambda n: -7_919_191_900 - n, str: lambda n: f"\x00stand-in {n}\x00"}


class CompiledQuery:
    """A queryset built by `build(**arguments)`, compiled once per database, then run as raw
    SQL with each call's arguments in their places.

    On the busiest requests the ORM spent longer building and compiling a query than running
    it: confirming's look-alike check took 1.9 ms of CPU, of which running it was 0.25 ms. The
    rows become instances as the ORM's own iterator makes them (Model.from_db, with the
    backend's converters), without a RawQuerySet: its working out of the columns on every call
    took 0.35 ms a query, where a cursor and from_db take 0.2 (both the query included).

    `kinds` maps each argument to int or str. An argument may only be compared for equality
    (`field=value`, `exclude(pk=value)`): compiling raises ValueError when the ORM changed a
    stand-in or left it out (a LIKE pattern, an IN list), and a call with None is refused, as
    the ORM would have written IS NULL. An int beyond 64 bits matches nothing, as in filter()
    (so not for an argument of exclude(), where the ORM would match everything); an argument of
    another type than its kind, a bool for an int say, is refused. A call returns a list of
    the model's instances with the fields the queryset selects (the rest deferred, as .only()
    leaves them), read from the database the router chooses for the model, as the queryset would
    be. The queryset selects one model's own columns: compiling refuses select_related(),
    annotations and values().
    """

    def __init__(self, build, **kinds):
        self.build = build
        self.kinds = kinds
        self.model = None
        self.compiled = {}

    def __call__(self, **arguments):
        if arguments.keys() != self.kinds.keys():
            raise TypeError(f"expected arguments {sorted(self.kinds)}, got {sorted(arguments)}")
        if any(value is None for value in arguments.values()):
            raise ValueError("a compiled query compares for equality; None would be IS NULL")
        for name, kind in self.kinds.items():
            # The ORM would have converted a bool or a float (a bool is an int), raw SQL not.
            value = arguments[name]
            if not isinstance(value, kind) or isinstance(value, bool):
                raise TypeError(f"argument {name!r} must be {kind.__name__}")
        if self.model is None:
            self.model = self.build(**self.stand_ins()).model
        if any(
            kind is int and not -(2**63) <= arguments[name] < 2**63
            for name, kind in self.kinds.items()
        ):
            # No key or count is that large, and SQLite would refuse the value: no rows, as
            # the ORM's own lookup answers.
            return []
        using = router.db_for_read(self.model)
        sql, params, slots, attnames, converters = self.compiled.get(using) or self.compile(using)
        values = list(params)
        for name, index in slots.items():
            values[index] = arguments[name]
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            rows = cursor.fetchall()
        instances = []
        for row in rows:
            if converters:
                row = list(row)
                for index, (functions, column) in converters:
                    for function in functions:
                        row[index] = function(row[index], column, connection)
            instances.append(self.model.from_db(using, attnames, row))
        return instances

    def stand_ins(self):
        return {name: STAND_IN[kind](n) for n, (name, kind) in enumerate(self.kinds.items())}

    def compile(self, using):
        stand_ins = self.stand_ins()
        queryset = self.build(**stand_ins)
        compiler = queryset.query.get_compiler(using=using)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            # The stand-in is out of the field's range (a small integer field): the ORM would
            # answer some values without asking the database.
            raise ValueError("an argument's field cannot hold every value of its kind") from None
        slots = {}
        for name, stand_in in stand_ins.items():
            found = [i for i, value in enumerate(params) if value == stand_in]
            if len(found) != 1:
                raise ValueError(
                    f"argument {name!r} is not one value compared for equality in the query"
                )
            slots[name] = found[0]
        if (
            queryset._iterable_class is not ModelIterable
            or compiler.klass_info.get("related_klass_infos")
            # Annotations and extra(select=…), whose columns come first.
            or compiler.annotation_col_map
        ):
            raise ValueError("a compiled query selects its model's own columns, and only those")
        # The model's columns, in its fields' order (the ORM's, and the one from_db() takes).
        columns = [expression for expression, _, _ in compiler.select]
        attnames = [column.target.attname for column in columns]
        converters = tuple(compiler.get_converters(columns).items())
        self.compiled[using] = sql, tuple(params), slots, attnames, converters
        return self.compiled[using]
