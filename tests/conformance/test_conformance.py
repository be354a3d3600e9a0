"""The conformance suite: one probe script under every dialect x module model,
compared observation by observation with the hand-written facts."""

import pytest
from facts import DIALECTS, MODELS, expected
from run_probe import observe

import qpysim


def test_the_facts_cover_every_dialect_and_model():
    assert sorted(DIALECTS) == sorted(d.name for d in qpysim.dialects())
    assert sorted(MODELS) == sorted(m.model for m in qpysim.modules())


@pytest.mark.parametrize("model", sorted(MODELS))
@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_probe(tmp_path, dialect, model):
    seen = observe(tmp_path, dialect, model)
    want = expected(dialect, model)
    assert sorted(seen) == sorted(want)
    wrong = {k: (seen[k], want[k]) for k in want if seen[k] != want[k]}
    assert not wrong, f"{dialect} on {model}: observed vs documented: {wrong}"
