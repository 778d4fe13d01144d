"""``tracers_events``: the probes fired during one test, and assertions that read well when they fail."""
from __future__ import annotations

from typing import Any, Iterator, Optional, Sequence, Union, overload

from .._provider import Probe
from ..runtime import record
from ..runtime.record import Event

_SHOWN = 40  # events listed in a failure message; longer lists show their two ends


class FiredEvents(Sequence[Event]):
    """The events recorded since the test began (cleared before each test's setup).

    A live, read-only sequence of :class:`~tracers.runtime.record.Event`;
    ``of``/``args`` select by probe (``Provider.event``) or provider (the
    ``@tracer`` class), ``assert_fired``/``assert_not_fired`` check with a
    message that shows what was expected and everything that fired.
    """

    @property
    def events(self) -> list[Event]:
        """A copy of the events, as a plain list (compare it with ``==`` for pytest's diff)."""
        return record.events()

    @property
    def dropped(self) -> int:
        """Events pushed out by the record limit since the test began."""
        return record.dropped()

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    @overload
    def __getitem__(self, index: int) -> Event: ...
    @overload
    def __getitem__(self, index: slice) -> list[Event]: ...
    def __getitem__(self, index: Union[int, slice]) -> Union[Event, list[Event]]:
        return self.events[index]

    def __eq__(self, other: object) -> bool:
        return self.events == (list(other) if isinstance(other, (list, tuple, FiredEvents)) else other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<tracers_events: {self.events!r}>"

    def clear(self) -> None:
        """Forget the events fired so far in this test."""
        record.clear()

    def of(self, target: Any) -> list[Event]:
        """The events of a probe (``Provider.event``) or of every probe of a provider (``Provider``)."""
        provider, probe = _selector(target)
        return [e for e in self.events if e.provider == provider and (probe is None or e.probe == probe)]

    def args(self, target: Probe) -> list[tuple[Any, ...]]:
        """The arguments of each event of one probe, in firing order."""
        if not isinstance(target, Probe):
            raise TypeError(f"args() takes a probe such as MyProvider.event, not {_kind(target)}")
        return [e.args for e in self.of(target)]

    def assert_fired(self, target: Any, *args: Any, times: Optional[int] = None, **named: Any) -> list[Event]:
        """Assert that ``target`` fired with these arguments; return the matching events.

        Positional ``args`` are compared with the first arguments, ``named``
        ones by name, after conversion (a ``U8`` fired as 300 is 44). Without
        ``times``, at least once; with it, exactly that many times.
        """
        __tracebackhide__ = True
        matching, wanted = self._matching(target, args, named)
        if (times is None and matching) or len(matching) == times:
            return matching
        count = _times(len(matching))
        if times is None:
            head = f"{wanted} did not fire during this test"
        else:
            head = f"{wanted} was expected to fire {_times(times)} and fired {count}"
        raise AssertionError(self._report(head))

    def assert_not_fired(self, target: Any, *args: Any, **named: Any) -> None:
        """Assert that no event of ``target`` matching these arguments fired."""
        __tracebackhide__ = True
        matching, wanted = self._matching(target, args, named)
        if matching:
            raise AssertionError(self._report(f"{wanted} was expected not to fire, and fired {_times(len(matching))}"))

    def _matching(self, target: Any, args: tuple[Any, ...], named: dict[str, Any]) -> tuple[list[Event], str]:
        provider, probe = _selector(target)
        if probe is None:
            if args or named:
                raise TypeError(f"arguments can be matched only for one probe, e.g. {target.__name__}.<probe>")
            return self.of(target), f"provider {provider}"
        names = tuple(a.name for a in target.spec.args)
        expected = _expected_by_position(target, names, args, named)
        matching = [e for e in self.of(target)
                    if all(i < len(e.args) and e.args[i] == value for i, value in expected.items())]
        shown = ", ".join(f"{names[i]}={value!r}" for i, value in sorted(expected.items()))
        if len(expected) < len(names):
            shown = f"{shown}, ..." if shown else "..."
        return matching, f"{provider}:{probe}({shown})"

    def _report(self, head: str) -> str:
        fired = self.events
        lines = [f"{head}.", f"Fired during this test ({len(fired)} event{'s' if len(fired) != 1 else ''}):"
                 if fired else "Nothing fired during this test."]
        shown: list[Optional[Event]] = list(fired)
        if len(fired) > _SHOWN:
            shown = [*fired[:_SHOWN // 2], None, *fired[-_SHOWN // 2:]]
        for event in shown:
            lines.append(f"  ... {len(fired) - _SHOWN} more ..." if event is None else f"  {describe(event)}")
        if self.dropped:
            lines.append(f"({self.dropped} earlier events were dropped: the record limit is {record.limit():,}; "
                         f"raise it with --tracers-record-limit)")
        return "\n".join(lines)


def describe(event: Event) -> str:
    """``provider:probe(name=value, ...)``, with argument names where the probe is known."""
    names = record.arg_names(event.provider, event.probe)
    if len(names) == len(event.args):
        inner = ", ".join(f"{name}={value!r}" for name, value in zip(names, event.args))
    else:
        inner = ", ".join(repr(value) for value in event.args)
    return f"{event.provider}:{event.probe}({inner})"


def _selector(target: Any) -> tuple[str, Optional[str]]:
    if isinstance(target, Probe):
        return target.provider, target.name
    spec = getattr(target, "__tracers_provider__", None) if isinstance(target, type) else None
    if spec is not None:
        return spec.name, None
    raise TypeError(f"expected a probe such as MyProvider.event or a @tracer class, not {_kind(target)}")


def _expected_by_position(target: Probe, names: tuple[str, ...], args: tuple[Any, ...],
                          named: dict[str, Any]) -> dict[int, Any]:
    if len(args) > len(names):
        raise TypeError(f"{target.label} takes {len(names)} arguments, {len(args)} given")
    expected = dict(enumerate(args))
    for name, value in named.items():
        if name not in names:
            raise TypeError(f"{target.label} has no argument {name!r}; its arguments: {', '.join(names)}")
        index = names.index(name)
        if index in expected:
            raise TypeError(f"argument {name!r} of {target.label} given twice")
        expected[index] = value
    return expected


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def _kind(value: Any) -> str:
    return type(value).__name__ if not isinstance(value, type) else f"class {value.__name__}"
