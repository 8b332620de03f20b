"""Completion of plain objects without graphql-core's per-field machinery.

graphql-core completes every field of a result through the same path: a resolve info, the
field's resolver, checks for awaitables and errors, the path of the value, then the value's
completion by its type. For a page of 100 wishes that is 1,800 fields and about 5 µs each:
three quarters of the request's Python time, where PostGraphile has PostgreSQL build the page.

Most of those fields are *plain*: strawberry's basic fields (no resolver, no extension, no
argument), whose value is the attribute of the same name of a value the hub built itself
(dataclass instances of the page). :class:`PlainCompletion` compiles, once per selection set and
type, what completing such an object takes (its fields' attribute names, their types' output
coercions, the same for nested plain objects and lists of them) into closures, and completes the
object with them: a dictionary with the response keys in the selection's order, as graphql-core
makes it. A list a resolver returns (a pilot's 3,500 CFA rows) is completed at once the same way,
without graphql-core's path and checks per item; and the built-in scalars (String, ID, Boolean,
Int within 32 bits) pass a value of their exact Python type through without calling their
coercion.

A field with a resolver counts as plain when it is declared with ``metadata={PRELOADED:
"<attribute>"}`` and takes no argument: the value's attribute then holds what the resolver
would return, set by the list's resolver for all its items at once (the CFAs of a page's steps,
the INEs of a page of youths); a value that does not hold it (``NOT_LOADED``) is completed the
usual way, by the resolver.

An object is completed this way only if every field selected on it, and on the objects below,
is plain, with no directive left on its nodes (``@skip`` and ``@include`` are applied while the
fields are collected, as graphql-core does) and no deferred fragment. Anything else goes the
usual way, and so does anything unusual met while completing (a null in a non-null field, a
value its scalar or enum cannot coerce, an object of another type): the object is then completed
again by graphql-core, which reports the error with its path and location as usual. A test
compares the two completions on generated queries (tests/test_execution.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLString,
    Undefined,
    is_leaf_type,
)
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

Completer = Callable[[Any], Any]
BACKREF = "strawberry-definition"
PRELOADED = "hub-preloaded"  # field metadata: the attribute holding the resolver's answer


class _NotLoaded:
    def __repr__(self) -> str:
        return "NOT_LOADED"


NOT_LOADED: Any = _NotLoaded()  # a preloaded attribute's value before the list's resolver sets it


class _Unusual(Exception):
    """Raised inside a plain completion: the object is completed the usual way instead."""


class PlainCompletion(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # (type, id(field details)) -> (field details kept alive, the object's completer or None)
        self._plans: dict[tuple[GraphQLObjectType, int], tuple[Any, Completer | None]] = {}
        self._lists: dict[tuple[GraphQLList[Any], int], tuple[Any, Completer | None]] = {}

    def complete_list_value(
        self,
        return_type: GraphQLList[GraphQLOutputType],
        field_details_list: Any,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        # a list of plain values at once (a resolver's rows), without an item path each
        if type(result) is list:
            key = (return_type, id(field_details_list))
            cached = self._lists.get(key)
            if cached is None:
                plain = not any(detail.node.directives for detail in field_details_list)  # @stream
                cached = self._lists[key] = (field_details_list,
                                             self._value(return_type, field_details_list) if plain else None)
            if cached[1] is not None:
                try:
                    return cached[1](result)
                except _Unusual:
                    pass
        return super().complete_list_value(return_type, field_details_list, info, path, result, position_context)

    def complete_object_value(
        self,
        return_type: GraphQLObjectType,
        field_details_list: Any,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        complete = self._plan(return_type, field_details_list)
        if complete is not None:
            try:
                return complete(result)
            except _Unusual:
                pass
        return super().complete_object_value(return_type, field_details_list, info, path, result, position_context)

    def _plan(self, return_type: GraphQLObjectType, field_details_list: Any) -> Completer | None:
        key = (return_type, id(field_details_list))
        cached = self._plans.get(key)
        if cached is None:
            cached = self._plans[key] = (field_details_list, self._object(return_type, field_details_list))
        return cached[1]

    def _object(self, object_type: GraphQLObjectType, field_details_list: Any) -> Completer | None:
        """The completer of ``object_type`` for this selection, or None when it is not plain."""
        grouped, defer_usages, forbidden = self.collect_subfields(object_type, field_details_list)
        if defer_usages or forbidden:
            return None
        fields: list[tuple[str, str | None, Completer | None, str]] = []  # key, attribute, completer, constant
        for response_key, details in grouped.items():
            if any(detail.node.directives or detail.defer_usage for detail in details):
                return None
            name = details[0].node.name.value
            if name == "__typename":
                fields.append((response_key, None, None, object_type.name))
                continue
            field = object_type.fields.get(name)
            definition = (field.extensions or {}).get(BACKREF) if field is not None else None
            if definition is None or field.args:
                return None
            preloaded = definition.metadata.get(PRELOADED)
            if getattr(field.resolve, "_is_default", False):
                attribute = definition.python_name
            elif preloaded and not definition.extensions:
                attribute = preloaded
            else:
                return None
            complete = self._value(field.type, details)
            if complete is None:
                return None
            fields.append((response_key, attribute, _loaded(complete) if preloaded else complete, ""))
        is_type_of = object_type.is_type_of

        def complete_object(value: Any) -> dict[str, Any]:
            if is_type_of is not None and not is_type_of(value, None):  # type: ignore[arg-type]
                raise _Unusual
            return {
                key: constant if attribute is None else complete(getattr(value, attribute))  # type: ignore[misc]
                for key, attribute, complete, constant in fields
            }

        return complete_object

    def _value(self, value_type: GraphQLOutputType, details: Any) -> Completer | None:
        """The completer of a field's value of this type, or None when it is not plain."""
        if isinstance(value_type, GraphQLNonNull):
            exact = _PASS_THROUGH.get(value_type.of_type)
            if exact is not None:
                return _scalar(exact, value_type.of_type.coerce_output_value, non_null=True)  # type: ignore[union-attr]
            inner = self._value(value_type.of_type, details)
            if inner is None:
                return None

            def complete_non_null(value: Any) -> Any:
                if value is None:
                    raise _Unusual
                completed = inner(value)
                if completed is None:
                    raise _Unusual
                return completed

            return complete_non_null
        if isinstance(value_type, GraphQLList):
            item = self._value(value_type.of_type, details)
            if item is None:
                return None

            def complete_list(value: Any) -> Any:
                if value is None:
                    return None
                if not isinstance(value, (list, tuple)):
                    raise _Unusual
                return [item(entry) for entry in value]

            return complete_list
        if is_leaf_type(value_type):
            coerce = value_type.coerce_output_value
            exact = _PASS_THROUGH.get(value_type)
            if exact is not None:
                return _scalar(exact, coerce, non_null=False)
            if isinstance(value_type, GraphQLEnumType):
                return _enum_completer(coerce)

            def complete_leaf(value: Any) -> Any:
                return None if value is None else _coerced(coerce, value)

            return complete_leaf
        if isinstance(value_type, GraphQLObjectType):
            obj = self._plan(value_type, details)
            if obj is None:
                return None

            def complete_nested(value: Any) -> Any:
                return None if value is None else obj(value)

            return complete_nested
        return None  # interfaces and unions: resolved the usual way


# The built-in scalars whose output is the value itself when it has this exact Python type (and,
# for Int, fits in 32 bits): checked inline; the scalar's coercion runs only for other values.
_PASS_THROUGH: dict[Any, type] = {GraphQLString: str, GraphQLID: str, GraphQLBoolean: bool, GraphQLInt: int}
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


def _scalar(exact: type, coerce: Callable[[Any], Any], *, non_null: bool) -> Completer:
    """A built-in scalar's completer (a null in a non-null one is unusual)."""
    if exact is int:
        def complete_int(value: Any) -> Any:
            if type(value) is int and _INT_MIN <= value <= _INT_MAX:
                return value
            return _not_passed(value, coerce, non_null)

        return complete_int

    def complete_exact(value: Any) -> Any:
        if type(value) is exact:
            return value
        return _not_passed(value, coerce, non_null)

    return complete_exact


def _not_passed(value: Any, coerce: Callable[[Any], Any], non_null: bool) -> Any:
    """A built-in scalar's value that does not pass through: a null, or its coercion."""
    if value is None:
        if non_null:
            raise _Unusual
        return None
    return _coerced(coerce, value)


def _loaded(complete: Completer) -> Completer:
    """A preloaded field's completer: the usual way when the value was not preloaded."""

    def complete_loaded(value: Any) -> Any:
        if value is NOT_LOADED:
            raise _Unusual
        return complete(value)

    return complete_loaded


def _enum_completer(coerce: Callable[[Any], Any]) -> Completer:
    """An enum's values, coerced once each (strawberry's enum types look a member's name up by
    walking their values)."""
    names: dict[Any, Any] = {}

    def complete_enum(value: Any) -> Any:
        if value is None:
            return None
        try:
            return names[value]
        except (KeyError, TypeError):
            pass
        coerced = _coerced(coerce, value)
        try:
            names[value] = coerced
        except TypeError:  # unhashable: not remembered
            pass
        return coerced

    return complete_enum


def _coerced(coerce: Callable[[Any], Any], value: Any) -> Any:
    """A leaf's output value, or _Unusual when its type refuses it (the usual way reports it)."""
    try:
        coerced = coerce(value)
    except Exception as error:
        raise _Unusual from error
    if coerced is None or coerced is Undefined:
        raise _Unusual
    return coerced
