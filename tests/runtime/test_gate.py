"""Lazy gates: resolved and rebound on first use; a bad reference warns instead of raising."""
import pickle
import textwrap

import pytest

from tracers._gate import LazyGate


class Holder:
    class Provider:
        class event:  # stands where a Probe would: anything with a ``gate``
            gate = True


def _test(namespace):
    """Truth-test the gate ``g`` as a rewritten site does: from code whose globals hold it."""
    exec("result = bool(g)", namespace)
    return namespace.pop("result")


def test_first_truth_test_rebinds_the_global_to_the_gate():
    namespace = {"Holder": Holder}
    namespace["g"] = LazyGate(namespace, "g", ("Holder", "Provider", "event"))
    assert "unresolved gate of Holder.Provider.event" in repr(namespace["g"])
    assert _test(namespace) is True
    assert namespace["g"] is True


def test_the_gate_resolves_in_the_globals_of_the_code_that_tests_it():
    """A copy of the globals (a function pickled by value) resolves and rebinds in the copy."""
    namespace = {"Holder": Holder}
    gate = namespace["g"] = LazyGate(namespace, "g", ("Holder", "Provider", "event"))
    copy = {"Holder": Holder, "g": pickle.loads(pickle.dumps(gate))}
    assert _test(copy) is True and copy["g"] is True
    assert namespace["g"] is gate  # the original module's gate is still to be resolved


def test_the_gate_keeps_no_reference_to_the_namespace():
    import gc

    namespace = {"Holder": Holder}
    namespace["g"] = LazyGate(namespace, "g", ("Holder", "Provider", "event"))
    assert namespace not in gc.get_referents(namespace["g"])
    assert len(pickle.dumps(namespace["g"])) < 200


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
        assert not _test(namespace)
    assert namespace["g"] is gate  # not rebound: resolved again next time


def test_builtins_are_searched():
    namespace: dict = {}
    namespace["g"] = LazyGate(namespace, "g", ("print", "event"))
    with pytest.warns(RuntimeWarning, match="print.event not fired"):
        assert not _test(namespace)


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
