"""Testing with probes under pytest: the plugin's session and the ``tracers_events`` fixture.

pytest loads the plugin through the tiny ``_tracers_pytestplugin`` module (the
``pytest11`` entry point ``tracers``), which imports this package only when
a run asks for a tracing mode::

    pytest --tracers=record          # or 'tracers = record' in pytest's ini options

    def test_order(tracers_events):
        place_order(7)
        tracers_events.assert_fired(Shop.order_placed, 7, "apple", 1)
"""
from ._events import FiredEvents
from ._session import start_session

__all__ = ["FiredEvents", "start_session"]
