import math

import pytest
import torch

from nonlinlab.core import History, best_of, fit, seed_everything, warmup_cosine


def _problem():
    seed_everything(0)
    x = torch.randn(64, 3)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]])
    model = torch.nn.Linear(3, 1, bias=False)
    return model, x, y


def mse(model, batch):
    x, y = batch
    return torch.nn.functional.mse_loss(model(x), y)


def test_fit_reduces_loss_and_logs_eval():
    model, x, y = _problem()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    hist = fit(model, opt, mse, [(x, y)], steps=200, eval_fn=lambda m: {"w0": m.weight[0, 0]},
               eval_every=50, log_every=10)
    assert hist["loss"][-1] < 1e-3 * hist["loss"][0]
    assert hist.steps("w0") == [50, 100, 150, 200]
    assert abs(hist.last("w0") - 1.0) < 1e-2
    assert hist.steps("loss")[0] == 10


def test_fit_with_amp_and_callable_data():
    model, x, y = _problem()
    opt = torch.optim.Adam(model.parameters(), lr=0.05)

    def loss(model, batch):
        value = mse(model, batch)
        return value, {"double": 2 * value.detach()}

    hist = fit(model, opt, loss, lambda step: (x, y), steps=100, amp=True, grad_clip=1.0)
    assert hist.last("loss") < hist["loss"][0]
    assert "double" in hist


def test_fit_rejects_bad_input():
    model, x, y = _problem()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError):
        fit(model, opt, mse, [(x, y)], steps=0)
    with pytest.raises(ValueError, match="no batch"):
        fit(model, opt, mse, [], steps=1)
    with pytest.raises(FloatingPointError):
        fit(model, opt, lambda m, b: torch.tensor(float("nan"), requires_grad=True), [(x, y)],
            steps=1)


def test_history_plot():
    import matplotlib

    matplotlib.use("Agg")
    h = History()
    for step in range(3):
        h.log(step, loss=1.0 / (step + 1), acc=torch.tensor(0.5))
    ax = h.plot("loss", logy=True)
    assert ax.get_yscale() == "log"


def test_best_of_keeps_the_lowest_finite_objective():
    calls = []

    def run(r):
        calls.append(r)
        return {"r": r}

    objs = {0: 3.0, 1: float("nan"), 2: 1.0, 3: 1.0}
    r, out, objectives = best_of(run, 4, lambda o: objs[o["r"]])
    assert (r, out) == (2, {"r": 2}) and calls == [0, 1, 2, 3]      # first of the ties
    assert objectives[0] == 3.0 and math.isnan(objectives[1])
    # one restart: run once, objective never evaluated
    r, out, objectives = best_of(run, 1, lambda o: 1 / 0)
    assert r == 0 and out == {"r": 0} and math.isnan(objectives[0])
    with pytest.raises(ValueError, match="restarts"):
        best_of(run, 0, len)
    with pytest.raises(FloatingPointError, match="non-finite"):
        best_of(run, 2, lambda o: float("inf"))


def test_warmup_cosine():
    assert warmup_cosine(0, 100, final=1.0) == 1.0 and warmup_cosine(99, 100, final=1.0) == 1.0
    assert warmup_cosine(0, 100, final=0.1) == pytest.approx(1.0)
    assert warmup_cosine(100, 100, final=0.1) == pytest.approx(0.1)  # cosine end
    assert warmup_cosine(50, 100) == pytest.approx(0.5)  # halfway down to 0
    f = [warmup_cosine(s, 1000, final=0.05, warmup=10) for s in range(12)]
    assert f[0] == pytest.approx(0.1 * warmup_cosine(0, 1000, final=0.05))  # (0 + 1) / 10
    assert all(a < b for a, b in zip(f[:9], f[1:10], strict=True))  # rising over the warm-up
    assert f[9] == pytest.approx(warmup_cosine(9, 1000, final=0.05))  # warm-up over
    with pytest.raises(ValueError):
        warmup_cosine(0, 100, warmup=-1)
    with pytest.raises(ValueError):
        warmup_cosine(0, 0)
