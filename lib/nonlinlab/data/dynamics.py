"""Chaotic flows and maps for the dynamical-systems chapters (Part III).

The *parameters* (and default initial conditions, time scales, reference Lyapunov estimates)
of 130+ chaotic flows come from the ``dysts`` package (Gilpin 2021); the *integration* is our
own: a batched torch RK4 (:func:`rk4`) that runs on any device, in float32 or float64, with
autograd, checked against scipy's DOP853 in the tests. dysts' right-hand sides are plain
numpy functions; :func:`vector_field` re-binds them to torch (``np.sin`` → ``torch.sin``, ...)
so that one definition serves both, and every re-bound field is compared with the numpy one
before it is handed out.

Shapes: a state is ``(..., d)``; a trajectory is ``(..., T, d)`` (time is the second-last axis).

Main entry points
-----------------
* :func:`flow_names`, :func:`flow_metadata`, :func:`vector_field` — the catalogue;
* :func:`rk4` — batched fixed-step RK4 for any ``f(x, t)``;
* :func:`solve_ivp_reference` — scipy's DOP853 on the numpy field (an independent oracle);
* :func:`simulate_flow` — trajectories with the transient removed;
* :func:`map_names`, :func:`map_step`, :func:`iterate_map`, :func:`simulate_map` — discrete
  maps (logistic, Hénon, Lozi, tent, and dysts' maps);
* :func:`standardize`, :func:`train_test_split` — preprocessing.
"""

from __future__ import annotations

import functools
import json
import math
import os
import sys
import types
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

__all__ = [
    "VectorField", "MapStep", "flow_names", "flow_metadata", "vector_field",
    "numpy_vector_field", "rk4", "solve_ivp_reference", "simulate_flow", "map_names",
    "map_step", "iterate_map", "simulate_map", "standardize", "train_test_split",
    "LORENZ_MAX_LYAPUNOV", "ROSSLER_MAX_LYAPUNOV", "HENON_MAX_LYAPUNOV", "LOZI_MAX_LYAPUNOV",
]

#: Literature values of the largest Lyapunov exponent (natural-log units), used by the tests.
LORENZ_MAX_LYAPUNOV = 0.9056  # sigma=10, rho=28, beta=8/3 (Sprott 2003)
ROSSLER_MAX_LYAPUNOV = 0.0714  # a=b=0.2, c=5.7 (Sprott 2003)
HENON_MAX_LYAPUNOV = 0.41922  # a=1.4, b=0.3
LOZI_MAX_LYAPUNOV = 0.4702  # a=1.7, b=0.5


# ------------------------------------------------------------------------------------------
# dysts access
# ------------------------------------------------------------------------------------------
def _dysts():
    """The ``dysts`` package, imported safely.

    A chapter's notebook source ``notebooks/03-dynamical-systems/dysts.py`` sits in the working
    directory when that notebook runs, and Jupyter puts the working directory first on
    ``sys.path``: a plain ``import dysts`` would execute the notebook instead of importing the
    package. So folders holding a ``dysts.py`` are skipped while the package is imported; after
    that, ``sys.modules`` serves every ``import dysts``.
    """
    mod = sys.modules.get("dysts")
    if mod is None or not hasattr(mod, "__path__"):
        sys.modules.pop("dysts", None)
        saved = list(sys.path)
        sys.path[:] = [p for p in saved
                       if not os.path.isfile(os.path.join(p or os.getcwd(), "dysts.py"))]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "Numba not installed" — we never use its JIT
                import dysts.base
                import dysts.flows
                import dysts.maps  # noqa: F401
        except ImportError as err:
            from ..core.optional import install_lines

            raise ImportError(
                "the optional dependency 'dysts' is not installed (needed for the catalogue of "
                f"chaotic systems); in a notebook cell run:\n{install_lines(['dysts'])[0]}"
            ) from err
        finally:
            sys.path[:] = saved
    return sys.modules["dysts"]


@functools.cache
def _catalogue(kind: str) -> dict:
    d = _dysts()
    path = d.base.DATAPATH_CONTINUOUS if kind == "flow" else d.base.DATAPATH_DISCRETE
    with open(path) as fh:
        return json.load(fh)


def _dysts_instance(name: str, kind: str, params: dict | None):
    d = _dysts()
    module = d.flows if kind == "flow" else d.maps
    cls = getattr(module, name, None)
    if cls is None or name not in _catalogue(kind):
        raise ValueError(f"unknown {kind} {name!r}; see {kind}_names()")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        obj = cls()
    if params:
        unknown = set(params) - set(obj.params)
        if unknown:
            raise ValueError(f"{name} has no parameters {sorted(unknown)}; "
                             f"it has {sorted(obj.params)}")
        obj.params.update({k: np.asarray(v, dtype=float) for k, v in params.items()})
        obj.__dict__.update(obj.params)
        obj.param_list = [obj.params[k] for k in sorted(obj.params)]
    return obj


# A numpy look-alike made of torch functions: dysts' right-hand sides are re-bound to it.
def _np_sum(x, axis=None, **kw):
    return torch.sum(x) if axis is None else torch.sum(x, dim=axis)


def _np_mean(x, axis=None, **kw):
    return torch.mean(x) if axis is None else torch.mean(x, dim=axis)


def _np_min(x, axis=None, **kw):
    return torch.min(x) if axis is None else torch.min(x, dim=axis).values


def _np_heaviside(x, value):
    return torch.heaviside(x, torch.as_tensor(value, dtype=x.dtype, device=x.device))


def _np_array(x, *a, **k):
    if isinstance(x, (list, tuple)):
        return torch.stack(torch.broadcast_tensors(*[torch.as_tensor(v) for v in x]))
    return torch.as_tensor(x)


def _tensor_args(fn):
    """``fn`` accepting python numbers too (``np.sqrt(3)`` in dysts' code)."""

    def wrapped(*args, **kw):
        args = [a if isinstance(a, torch.Tensor) or not isinstance(a, (int, float))
                else torch.tensor(float(a), dtype=torch.float64) for a in args]
        return fn(*args, **kw)

    return wrapped


_TORCH_NP = types.SimpleNamespace(
    pi=math.pi, e=math.e, heaviside=_np_heaviside, copy=torch.clone,
    zeros_like=torch.zeros_like, matmul=torch.matmul, dot=torch.matmul, sum=_np_sum,
    mean=_np_mean, min=_np_min, hstack=torch.hstack, array=_np_array, asarray=_np_array,
    **{k: _tensor_args(v) for k, v in dict(
        sin=torch.sin, cos=torch.cos, tan=torch.tan, sinh=torch.sinh, cosh=torch.cosh,
        tanh=torch.tanh, exp=torch.exp, log=torch.log, sqrt=torch.sqrt, abs=torch.abs,
        sign=torch.sign, arctan=torch.atan, arctan2=torch.atan2, arccos=torch.acos).items()},
)


class _TorchProxy:
    """Stands in for a dysts object inside a re-bound method: parameters are torch tensors,
    methods are re-bound to torch too, everything else comes from the object."""

    def __init__(self, obj, x: torch.Tensor):
        self._obj = obj
        for k, v in obj.params.items():
            setattr(self, k, torch.as_tensor(np.asarray(v, dtype=float), dtype=x.dtype,
                                              device=x.device))

    def __getattr__(self, key):
        value = getattr(type(self._obj), key, None)
        if callable(value) and not isinstance(value, type):
            fn = _rebind(value)
            return fn if isinstance(value, staticmethod) or isinstance(
                type(self._obj).__dict__.get(key), staticmethod) else types.MethodType(fn, self)
        return getattr(self._obj, key)


def _rebind(fn):
    """``fn`` with its global ``np`` replaced by the torch look-alike. Where numba is installed
    (as on Colab) dysts JIT-compiles its right-hand sides: re-bind the Python function behind
    the dispatcher (``py_func``)."""
    fn = getattr(fn, "__func__", fn)
    fn = getattr(fn, "py_func", fn)
    glb = dict(fn.__globals__)
    glb["np"] = _TORCH_NP
    return types.FunctionType(fn.__code__, glb, fn.__name__, fn.__defaults__, fn.__closure__)


def _stack_outputs(out, like: torch.Tensor) -> torch.Tensor:
    parts = [torch.as_tensor(o, dtype=like.dtype, device=like.device) for o in out]
    return torch.stack(torch.broadcast_tensors(*parts), dim=-1)


# ------------------------------------------------------------------------------------------
# flows
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class VectorField:
    """A torch vector field ``f(x, t=0.0)``: ``x`` of shape ``(..., d)`` → ``dx/dt`` of the same
    shape. Differentiable (autograd, ``torch.func``). ``name``, ``dim``, ``params`` (dict of
    floats/arrays) and ``nonautonomous`` describe it."""

    name: str
    dim: int
    params: dict
    nonautonomous: bool
    _fn: Callable

    def __call__(self, x: torch.Tensor, t=0.0) -> torch.Tensor:
        if x.shape[-1] != self.dim:
            raise ValueError(f"{self.name} is {self.dim}-dimensional, got x of shape "
                             f"{tuple(x.shape)}")
        return self._fn(x, t)


def flow_names(torch_only: bool = True) -> list[str]:
    """Names of dysts' chaotic flows (ODEs; delay equations excluded), sorted. With
    ``torch_only`` (default) only those whose right-hand side :func:`vector_field` can
    re-bind to torch (checked against numpy) — 120+ of the 130+."""
    names = []
    for name, meta in _catalogue("flow").items():
        if meta.get("delay", False):
            continue
        if torch_only:
            if _torch_field_ok(name):
                names.append(name)
        else:
            names.append(name)
    return sorted(names)


def flow_metadata(name: str) -> dict:
    """dysts' metadata of a flow: ``parameters``, ``initial_conditions``, ``dt`` (its
    integration step), ``period`` (dominant period), ``embedding_dimension``,
    ``maximum_lyapunov_estimated``, ``lyapunov_spectrum_estimated``, ``nonautonomous``,
    ``description``, ``citation``, ... (a copy)."""
    cat = _catalogue("flow")
    if name not in cat:
        raise ValueError(f"unknown flow {name!r}; see flow_names()")
    return json.loads(json.dumps(cat[name]))


def _torch_rhs(obj) -> Callable:
    """Torch version of a dysts flow object's right-hand side ``f(x, t)`` on ``(..., d)``."""
    d = _dysts()
    params = [np.asarray(p, dtype=float) for p in obj.param_list]
    custom_rhs = type(obj).rhs is not d.base.DynSys.rhs

    if custom_rhs:  # methods like Lorenz96.rhs(self, X, t) take one state X of shape (d,)
        rhs = _rebind(type(obj).rhs)

        def f(x, t):
            t = torch.as_tensor(t, dtype=x.dtype, device=x.device)
            proxy = _TorchProxy(obj, x)

            def single(xi):
                out = rhs(proxy, xi, t)
                if isinstance(out, (tuple, list)):
                    return _stack_outputs(out, xi)
                return torch.as_tensor(out)

            flat = x.reshape(-1, x.shape[-1])
            return torch.func.vmap(single)(flat).reshape(x.shape)
    else:
        rhs = _rebind(type(obj)._rhs)
        cache: dict = {}

        def f(x, t):
            key = (x.dtype, x.device)
            if key not in cache:  # parameters as python floats where scalar: fastest
                cache[key] = [float(p) if p.ndim == 0 else torch.as_tensor(
                    p, dtype=x.dtype, device=x.device) for p in params]
            if not isinstance(t, torch.Tensor):
                t = float(t)
            out = rhs(*x.unbind(-1), t, *cache[key])
            if all(isinstance(o, torch.Tensor) and o.shape == x.shape[:-1] for o in out):
                return torch.stack(out, dim=-1)
            return _stack_outputs(out, x)
    return f


@functools.cache
def _torch_field_ok(name: str) -> bool:
    """Does the torch re-binding of ``name`` run, keep autograd and equal numpy's rhs?"""
    try:
        obj = _dysts_instance(name, "flow", None)
        f = _torch_rhs(obj)
        rng = np.random.default_rng(0)
        ic = np.asarray(obj.ic, dtype=float)
        xs = ic + 0.1 * rng.standard_normal((3, ic.size)) * (1 + np.abs(ic))
        x = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = f(x, 0.3)
            ref = np.stack([np.asarray(obj.rhs(xi, 0.3), dtype=float) for xi in xs])
        if not (isinstance(y, torch.Tensor) and y.requires_grad and y.shape == x.shape):
            return False
        ok = np.isfinite(ref).all()
        return bool(ok and np.allclose(y.detach().numpy(), ref, rtol=1e-10, atol=1e-10))
    except Exception:
        return False


def vector_field(name: str, params: dict | None = None) -> VectorField:
    """The torch vector field of dysts flow ``name`` (optionally with some ``params``
    replaced). Raises ``ValueError`` for unknown names and for the few systems whose numpy
    code cannot be re-bound to torch (use :func:`numpy_vector_field` for those)."""
    obj = _dysts_instance(name, "flow", params)
    if not _torch_field_ok(name):
        raise ValueError(f"{name}: its dysts right-hand side cannot be evaluated in torch; "
                         "use numpy_vector_field / solve_ivp_reference instead")
    meta = flow_metadata(name)
    return VectorField(name, int(np.asarray(obj.ic).size), dict(obj.params),
                       bool(meta.get("nonautonomous", False)), _torch_rhs(obj))


def numpy_vector_field(name: str, params: dict | None = None) -> Callable:
    """dysts' own numpy right-hand side as ``f(t, x)`` (scipy's ``solve_ivp`` convention)."""
    obj = _dysts_instance(name, "flow", params)

    def f(t, x):
        return np.asarray(obj.rhs(np.asarray(x, dtype=float), t), dtype=float)

    return f


def rk4(f: Callable, x0: torch.Tensor, dt: float, n_steps: int, *, t0: float = 0.0,
        substeps: int = 1, keep_initial: bool = True) -> torch.Tensor:
    """Classical fixed-step Runge-Kutta 4 for ``dx/dt = f(x, t)``, batched over the leading
    axes of ``x0`` (shape ``(..., d)``).

    Records ``n_steps`` samples spaced ``dt`` apart, each reached with ``substeps`` RK4 steps
    of size ``dt / substeps``. Returns ``(..., n_steps + 1, d)`` including ``x0`` (or
    ``(..., n_steps, d)`` with ``keep_initial=False``). Differentiable.
    """
    if not isinstance(x0, torch.Tensor) or x0.ndim < 1:
        raise ValueError("x0 must be a tensor of shape (..., d)")
    if n_steps < 0 or substeps < 1 or not dt > 0:
        raise ValueError("need n_steps >= 0, substeps >= 1 and dt > 0")
    h = dt / substeps
    x, t = x0, float(t0)
    out = [x0] if keep_initial else []
    for _ in range(n_steps):
        for _ in range(substeps):
            k1 = f(x, t)
            k2 = f(x + 0.5 * h * k1, t + 0.5 * h)
            k3 = f(x + 0.5 * h * k2, t + 0.5 * h)
            k4 = f(x + h * k3, t + h)
            x = x + (h / 6.0) * (k1 + 2 * k2 + 2 * k3 + k4)
            t += h
        out.append(x)
    if not out:
        return x0.new_zeros((*x0.shape[:-1], 0, x0.shape[-1]))
    return torch.stack(out, dim=-2)


def solve_ivp_reference(f_or_name, x0, t_eval, *, params: dict | None = None,
                        rtol: float = 1e-12, atol: float = 1e-12,
                        method: str = "DOP853") -> np.ndarray:
    """scipy ``solve_ivp`` (DOP853 by default) from one state ``x0`` (shape ``(d,)``),
    returned at ``t_eval`` as ``(len(t_eval), d)`` float64. ``f_or_name`` is a dysts flow name
    (its numpy field) or a callable ``f(t, x)``. The independent oracle for :func:`rk4`."""
    from scipy.integrate import solve_ivp

    f = numpy_vector_field(f_or_name, params) if isinstance(f_or_name, str) else f_or_name
    t_eval = np.asarray(t_eval, dtype=float)
    x0 = np.asarray(x0.detach().cpu() if isinstance(x0, torch.Tensor) else x0, dtype=float)
    if x0.ndim != 1:
        raise ValueError("solve_ivp_reference integrates one state of shape (d,)")
    sol = solve_ivp(f, (float(t_eval[0]), float(t_eval[-1])), x0, method=method,
                    t_eval=t_eval, rtol=rtol, atol=atol)
    if not sol.success:
        raise RuntimeError(f"solve_ivp failed: {sol.message}")
    return sol.y.T


def default_sampling(name: str, pts_per_period: int = 100, max_substep_factor: float = 10.0):
    """``(dt, substeps)`` used by :func:`simulate_flow`: ``dt = period / pts_per_period``
    (dysts' "Fourier" time scale) and enough RK4 substeps that each is at most
    ``max_substep_factor`` × dysts' own integration step."""
    meta = flow_metadata(name)
    dt = float(meta["period"]) / pts_per_period
    substeps = max(1, math.ceil(dt / (max_substep_factor * float(meta["dt"]))))
    return dt, substeps


def simulate_flow(name: str | VectorField, n_steps: int, *, dt: float | None = None,
                  batch: int | None = None, transient: int = 1000, substeps: int | None = None,
                  ic_noise: float = 0.1, x0: torch.Tensor | None = None,
                  params: dict | None = None, generator: torch.Generator | None = None,
                  dtype: torch.dtype = torch.float64, device=None) -> torch.Tensor:
    """Trajectories of a flow, sampled every ``dt``, after discarding ``transient`` samples.

    Initial conditions: ``x0`` if given (``(d,)`` or ``(batch, d)``), else dysts' initial
    condition perturbed by ``ic_noise`` × its per-coordinate std (Gaussian, from
    ``generator``). ``dt``/``substeps`` default to :func:`default_sampling`. Returns
    ``(n_steps, d)`` when ``batch`` is None, else ``(batch, n_steps, d)``.
    Example: ``simulate_flow("Lorenz", 10_000, dt=0.01, batch=8)``.
    """
    f = name if isinstance(name, VectorField) else vector_field(name, params)
    meta = flow_metadata(f.name)
    if dt is None or substeps is None:
        dt0, sub0 = default_sampling(f.name) if dt is None else (dt, max(
            1, math.ceil(dt / (10 * float(meta["dt"])))))
        dt = dt0 if dt is None else dt
        substeps = sub0 if substeps is None else substeps
    if n_steps < 1 or transient < 0:
        raise ValueError("need n_steps >= 1 and transient >= 0")
    b = 1 if batch is None else int(batch)
    if x0 is None:
        ic = torch.tensor(np.asarray(meta["initial_conditions"], dtype=float), dtype=dtype,
                          device=device)
        scale = torch.tensor(np.asarray(meta.get("std", np.ones(f.dim)), dtype=float),
                             dtype=dtype, device=device)
        noise = torch.randn((b, f.dim), generator=generator, dtype=dtype).to(device)
        start = ic + ic_noise * scale * noise
    else:
        start = torch.as_tensor(x0, dtype=dtype, device=device).reshape(-1, f.dim)
        start = start.expand(b, f.dim) if start.shape[0] == 1 else start
    if start.shape[0] != b:
        raise ValueError(f"x0 has {start.shape[0]} states but batch={batch}")
    with torch.no_grad():
        if transient:
            start = rk4(f, start, dt, transient, substeps=substeps, keep_initial=False)[:, -1]
        traj = rk4(f, start, dt, n_steps - 1, substeps=substeps)
    if not torch.isfinite(traj).all():
        raise RuntimeError(f"{f.name}: the trajectory diverged; lower dt or raise substeps")
    return traj[0] if batch is None else traj


# ------------------------------------------------------------------------------------------
# maps
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MapStep:
    """A torch map ``x_{t+1} = g(x_t)`` on ``(..., d)``; ``ic`` is a point in its basin."""

    name: str
    dim: int
    params: dict
    ic: tuple
    _fn: Callable

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.dim:
            raise ValueError(f"{self.name} is {self.dim}-dimensional, got {tuple(x.shape)}")
        return self._fn(x)


def _logistic(x, r):
    return r * x * (1 - x)


def _henon(x, a, b):
    return torch.stack([1 - a * x[..., 0] ** 2 + x[..., 1], b * x[..., 0]], dim=-1)


def _lozi(x, a, b):
    return torch.stack([1 - a * x[..., 0].abs() + x[..., 1], b * x[..., 0]], dim=-1)


def _tent(x, mu):
    return mu * torch.minimum(x, 1 - x)


#: Our own maps: name -> (function, default params, dimension, initial condition).
_OWN_MAPS = {
    "logistic": (_logistic, {"r": 4.0}, 1, (0.3,)),
    "henon": (_henon, {"a": 1.4, "b": 0.3}, 2, (0.1, 0.1)),
    "lozi": (_lozi, {"a": 1.7, "b": 0.5}, 2, (0.1, 0.1)),
    "tent": (_tent, {"mu": 1.9999}, 1, (0.3,)),
}


def map_names(include_dysts: bool = True) -> list[str]:
    """Our maps (``logistic``, ``henon``, ``lozi``, ``tent``) and, with ``include_dysts``,
    dysts' discrete maps that re-bind to torch (CamelCase names, e.g. ``"Ikeda"``)."""
    names = list(_OWN_MAPS)
    if include_dysts:
        names += [n for n in sorted(_catalogue("map")) if _torch_map_ok(n)]
    return names


def _dysts_torch_map(name: str, params: dict | None):
    obj = _dysts_instance(name, "map", params)
    rhs = _rebind(type(obj)._rhs)
    ps = [np.asarray(p, dtype=float) for p in obj.param_list]

    def g(x):
        tp = [torch.as_tensor(p, dtype=x.dtype, device=x.device) for p in ps]
        out = rhs(*x.unbind(-1), *tp)
        out = out if isinstance(out, (tuple, list)) else (out,)
        return _stack_outputs(out, x)

    return obj, g


@functools.cache
def _torch_map_ok(name: str) -> bool:
    try:
        obj, g = _dysts_torch_map(name, None)
        ic = np.atleast_1d(np.asarray(obj.ic, dtype=float))
        x = torch.tensor(ic[None], dtype=torch.float64, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = g(x)
            ref = np.asarray(obj.rhs(ic[None]), dtype=float).reshape(1, -1)
        return bool(y.requires_grad and y.shape == x.shape
                    and np.allclose(y.detach().numpy(), ref, rtol=1e-10, atol=1e-10))
    except Exception:
        return False


def map_step(name: str, params: dict | None = None) -> MapStep:
    """The torch map ``name`` (one of :func:`map_names`), optionally with new ``params``."""
    if name in _OWN_MAPS:
        fn, defaults, dim, ic = _OWN_MAPS[name]
        unknown = set(params or {}) - set(defaults)
        if unknown:
            raise ValueError(f"{name} has no parameters {sorted(unknown)}")
        p = {**defaults, **(params or {})}
        return MapStep(name, dim, p, ic, functools.partial(fn, **p))
    if name not in _catalogue("map") or not _torch_map_ok(name):
        raise ValueError(f"unknown map {name!r}; choose one of {map_names()}")
    obj, g = _dysts_torch_map(name, params)
    ic = tuple(np.atleast_1d(np.asarray(obj.ic, dtype=float)).tolist())
    return MapStep(name, len(ic), dict(obj.params), ic, g)


def iterate_map(g: Callable, x0: torch.Tensor, n_steps: int, *,
                keep_initial: bool = True) -> torch.Tensor:
    """``x_{t+1} = g(x_t)`` from ``x0`` (``(..., d)``): ``(..., n_steps + 1, d)`` with ``x0``
    first (``(..., n_steps, d)`` with ``keep_initial=False``). Differentiable."""
    if n_steps < 0:
        raise ValueError("n_steps must be >= 0")
    xs = [x0] if keep_initial else []
    x = x0
    for _ in range(n_steps):
        x = g(x)
        xs.append(x)
    if not xs:
        return x0.new_zeros((*x0.shape[:-1], 0, x0.shape[-1]))
    return torch.stack(xs, dim=-2)


def simulate_map(name: str | MapStep, n_steps: int, *, batch: int | None = None,
                 transient: int = 1000, ic_noise: float = 0.01, params: dict | None = None,
                 generator: torch.Generator | None = None, dtype: torch.dtype = torch.float64,
                 device=None) -> torch.Tensor:
    """Orbits of a map after ``transient`` discarded iterations, from its default initial
    condition plus ``ic_noise`` Gaussian noise: ``(n_steps, d)`` or ``(batch, n_steps, d)``."""
    g = name if isinstance(name, MapStep) else map_step(name, params)
    if n_steps < 1 or transient < 0:
        raise ValueError("need n_steps >= 1 and transient >= 0")
    b = 1 if batch is None else int(batch)
    ic = torch.tensor(g.ic, dtype=dtype, device=device)
    x0 = ic + ic_noise * torch.randn((b, g.dim), generator=generator, dtype=dtype).to(device)
    with torch.no_grad():
        x = iterate_map(g, x0, transient, keep_initial=True)[:, -1] if transient else x0
        traj = iterate_map(g, x, n_steps - 1)
    if not torch.isfinite(traj).all():
        raise RuntimeError(f"{g.name}: the orbit escaped to infinity; change ic or params")
    return traj[0] if batch is None else traj


# ------------------------------------------------------------------------------------------
# preprocessing
# ------------------------------------------------------------------------------------------
def standardize(x: torch.Tensor, mean: torch.Tensor | None = None,
                std: torch.Tensor | None = None, eps: float = 1e-12):
    """Zero mean, unit variance per coordinate (last axis), statistics pooled over all other
    axes unless given. Returns ``(z, mean, std)``; undo with ``z * std + mean``."""
    if mean is None or std is None:
        flat = x.reshape(-1, x.shape[-1])
        mean = flat.mean(0) if mean is None else mean
        std = flat.std(0) if std is None else std
    return (x - mean) / (std + eps), mean, std


def train_test_split(x: torch.Tensor, test_fraction: float = 0.2, *, gap: int = 0):
    """Split a trajectory ``(..., T, d)`` in time: the first part for training, the last
    ``test_fraction`` for testing, ``gap`` samples dropped between them."""
    if not 0 < test_fraction < 1:
        raise ValueError("test_fraction must be in (0, 1)")
    n = x.shape[-2]
    n_test = max(1, int(round(test_fraction * n)))
    n_train = n - n_test - gap
    if n_train < 1:
        raise ValueError(f"trajectory of length {n} too short for this split")
    return x[..., :n_train, :], x[..., n_train + gap:, :]
