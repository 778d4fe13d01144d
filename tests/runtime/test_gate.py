"""Lazy gates: resolved and rebound on first use; a bad reference warns instead of raising."""
import textwrap

import pytest

from tracers._gate import LazyGate


class Holder:
    class Provider:
        class event:  # stands where a Probe would: anything with a ``gate``
            gate = True


def test_first_truth_test_rebinds_the_global_to_the_gate():
    namespace = {"Holder": Holder}
    namespace["g"] = LazyGate(namespace, "g", ("Holder", "Provider", "event"))
    assert "unresolved gate of Holder.Provider.event" in repr(namespace["g"])
    assert bool(namespace["g"]) is True
    assert namespace["g"] is True


@pytest.mark.parametrize("chain,message", [
    (("Missing", "event"), "name 'Missing' is not defined"),
    (("Holder", "nothing"), "has no attribute 'nothing'"),
    (("Holder", "Provider"), "Holder.Provider is not a probe of a @tracer class"),
])
def test_bad_references_warn_and_stay_closed(chain, message):
    namespace = {"Holder": Holder}
    gate = LazyGate(namespace, "g", chain)
    namespace["g"] = gate
    with pytest.warns(RuntimeWarning, match=f"probe {'.'.join(chain)} not fired: .*{message}"):
        assert not gate
    assert namespace["g"] is gate  # not rebound: resolved again next time


def test_builtins_are_searched():
    namespace: dict = {}
    with pytest.warns(RuntimeWarning, match="print.event not fired"):
        assert not LazyGate(namespace, "g", ("print", "event"))


def test_hooked_module_with_an_undefined_provider_raises_as_plain_python(python, tmp_path):
    """A provider name the module never binds is no gate: the statement runs as written."""
    (tmp_path / "bad.py").write_text(textwrap.dedent("""\
        from tracers import probe
        def f():
            probe(Nowhere.event(1))
            return "ran"
    """))
    code = "import tracers.importhook; tracers.importhook.install()\nimport bad\nprint(bad.f(), bad.f())\n"
    for strict in ("0", "1"):
        result = python(code, env={"TRACERS": "record", "TRACERS_STRICT": strict, "PYTHONPATH": str(tmp_path)})
        assert result.returncode == 1
        assert result.stderr.rstrip().splitlines()[-1] == "NameError: name 'Nowhere' is not defined"
