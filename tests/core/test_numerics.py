import numpy as np
import pytest

from nonlinlab.core.numerics import log_parabola_argmin


def test_recovers_the_vertex_of_a_log_parabola():
    x = np.geomspace(1e-3, 1.0, 7)
    for true in (3e-3, 0.02, 0.3):
        assert log_parabola_argmin(x, (np.log(x) - np.log(true)) ** 2) == pytest.approx(true)


def test_grid_end_and_concave_fall_back_to_the_grid_point():
    x = [0.1, 1.0, 10.0]
    assert log_parabola_argmin(x, [0.0, 1.0, 2.0]) == 0.1
    assert log_parabola_argmin(x, [1.0, 1.0, 1.0]) == 0.1  # flat: argmin is the first
    assert log_parabola_argmin([0.1, 1.0, 10.0, 100.0], [3.0, 1.0, 1.0, 3.0]) == pytest.approx(
        np.sqrt(10.0))


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="three"):
        log_parabola_argmin([1.0, 2.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="positive"):
        log_parabola_argmin([0.0, 1.0, 2.0], [1.0, 0.0, 1.0])
