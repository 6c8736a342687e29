"""What the data can tell apart: dead parameters, identified combinations, covariance, warnings.

Everything is read off the Jacobian ``J`` of the normalised residuals at the optimum,
taken in normalised coordinates ``z`` (``log(p)`` for log-scaled parameters, else
``p / s`` with ``s`` the value or 1 % of the bounds' span), so every column measures the
effect of the same relative change:

- a parameter whose column is zero has no effect on these logs and signals: an error;
- right singular vectors of ``J`` with a singular value below ``rtol`` times the
  largest are directions the data cannot see. The parameters they involve form a
  group; what *is* identified in the group are the combinations orthogonal to those
  directions: known physical forms first (a DC motor's torque per volt ``km / Rm`` and
  its joint's total viscous damping ``b + km^2 / Rm``, :mod:`s2r.sysid.forms`), then
  products of powers where such a monomial exists, else the linear form in ``z`` itself;
- the covariance ``s^2 (J^T J)^+`` (``s^2`` the residual variance) gives standard
  deviations, 95 % intervals (log-normal for log-scaled parameters) and correlations;
  parameters in a group get no standard deviation of their own;
- parameters at a bound, pairs with ``|rho| > 0.95`` and parameters whose 95 % interval
  is wider than ``+-5 %`` of their value (weakly determined) are warned about by name.

>>> import numpy as np
>>> J = np.array([[1.0, -1.0], [2.0, -2.0], [0.5, -0.5]])  # only p0/p1 matters
>>> a = analyse(J, np.full(3, 0.1), ["km", "Rm"], np.log([0.04, 8.0]),
...             np.array([True, True]), np.log([0.02, 4.0]), np.log([0.08, 16.0]))
>>> [c.name for c in a.combinations], bool(np.isinf(a.std[0]))
(['km / Rm'], True)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from s2r.errors import ParameterError
from s2r.sysid.forms import Form

RHO_WARN = 0.95
#: a parameter whose 95 % interval is wider than +- this fraction of its value is warned
#: about as weakly determined (the data hold little of it)
WEAK_WARN = 0.05


@dataclass
class Combination:
    """An identified combination: its ``name``, exponents (monomial) or coefficients (linear
    form in ``z``) per parameter, its ``value`` at the fit and its ``std``."""

    name: str
    kind: str  # "monomial" or "linear"
    coefficients: dict[str, float]
    value: float
    std: float
    meaning: str = ""  # physical meaning of a known form ("torque per volt"), else ""
    unit: str = ""


@dataclass
class Analysis:
    """Covariance of the vector ``x`` and everything derived from it."""

    covariance: np.ndarray
    std: np.ndarray  # per parameter in x space; inf where not identifiable alone
    correlation: np.ndarray
    singular_values: np.ndarray
    unidentified: list[str]
    combinations: list[Combination] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dof: int = 0
    residual_variance: float = 0.0


def require_effect(names: Sequence[str], change: np.ndarray, tol: float = 1e-12) -> None:
    """Raise :class:`ParameterError` naming every parameter whose change moved no residual.

    ``change[i]`` is the largest residual change a sizeable step of parameter i made.

    >>> require_effect(["a", "b"], np.array([0.3, 0.0]))
    Traceback (most recent call last):
    ...
    s2r.errors.ParameterError: b: has no effect on the residuals of these logs and signals (...
    """
    dead = [n for n, c in zip(names, change, strict=True) if not c > tol]
    if dead:
        raise ParameterError("has no effect on the residuals of these logs and signals (drop "
                             "it from params, or record data that excites it)",
                             where=", ".join(dead))


def _where(mask: np.ndarray) -> list[int]:
    """Indices of the non-zero (True) entries, as Python ints."""
    return [int(i) for i in np.flatnonzero(mask)]


def _scales(x: np.ndarray, log: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    span = np.where(np.isfinite(high - low), high - low, 1.0)
    return np.where(log, 1.0, np.maximum(np.abs(x), 0.01 * span))


def _groups(null: np.ndarray, tol: float) -> list[list[int]]:
    """Parameter indices joined by null directions (columns of ``null``)."""
    groups: list[set[int]] = []
    for v in null.T:
        members = set(_where(np.abs(v) > tol))
        for g in [g for g in groups if g & members]:
            members |= g
            groups.remove(g)
        groups.append(members)
    return [sorted(g) for g in groups]


def _monomials(idx: list[int], log: np.ndarray, null: np.ndarray, want: int,
               tol: float, start: Sequence[np.ndarray] = ()) -> list[np.ndarray]:
    """Up to ``want`` small-integer exponent vectors orthogonal to ``null``, independent of
    each other and of ``start``."""
    logs = [i for i in idx if log[i]]
    found: list[np.ndarray] = []
    if not logs or len(logs) > 5 or want <= 0:
        return found
    candidates = []
    for a in itertools.product(range(-2, 3), repeat=len(logs)):
        nz = [e for e in a if e]
        if not nz or nz[0] < 0 or math.gcd(*map(abs, nz)) != 1:
            continue
        full = np.zeros(null.shape[0])
        full[logs] = a
        if np.linalg.norm(null.T @ full) <= tol * np.linalg.norm(full):
            candidates.append(full)
    candidates.sort(key=lambda f: (np.count_nonzero(f), np.abs(f).sum()))
    for f in candidates:
        if len(found) == want:
            break
        if np.linalg.matrix_rank(np.array([*start, *found, f])) == len(start) + len(found) + 1:
            found.append(f)
    return found


def _form_gradient(form: Form, names: list[str], values: dict[str, float], log: np.ndarray,
                   s: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d form / d z at ``values`` by central differences (z: log p, or p / s)."""
    grad = np.zeros(len(names))
    for i, name in enumerate(names):
        if name not in form.params:
            continue
        up, down = dict(values), dict(values)
        if log[i]:
            up[name], down[name] = values[name] * np.exp(eps), values[name] * np.exp(-eps)
        else:
            up[name], down[name] = values[name] + eps * s[i], values[name] - eps * s[i]
        grad[i] = (form(up) - form(down)) / (2 * eps)
    return grad


def _physical(g: list[int], forms: Sequence[Form], names: list[str], x: np.ndarray,
              log: np.ndarray, s: np.ndarray, null: np.ndarray, cov_z: np.ndarray, want: int,
              tol: float) -> tuple[list[np.ndarray], list[Combination]]:
    """The known ``forms`` on the group ``g`` that the data identify (gradient orthogonal to
    ``null``), independent of each other, at most ``want``."""
    values = {n: float(np.exp(v) if lg else v) for n, v, lg in zip(names, x, log, strict=True)}
    grads: list[np.ndarray] = []
    out: list[Combination] = []
    for form in forms:
        if len(out) == want or not any(names[i] in form.params for i in g):
            continue
        grad = _form_gradient(form, names, values, log, s)
        norm = np.linalg.norm(grad)
        if not norm > 0 or np.linalg.norm(null.T @ grad) > tol * norm:
            continue
        if np.linalg.matrix_rank(np.array([*grads, grad]), tol=1e-9 * norm) <= len(grads):
            continue
        grads.append(grad)
        value = form(values)
        # coefficients: elasticities d log(form) / d log(p), from d form / d z
        per_p = np.where(log, grad, grad * x / s)  # p * d form / d p
        out.append(Combination(form.name, "physical",
                               {names[i]: float(per_p[i] / value) for i in _where(grad != 0)},
                               value,
                               math.sqrt(max(float(grad @ cov_z @ grad), 0.0)), form.meaning,
                               form.unit))
    return grads, out


def _monomial_name(a: np.ndarray, names: Sequence[str]) -> str:
    def term(i: int) -> str:
        e = abs(int(a[i]))
        return names[i] + (f"^{e}" if e != 1 else "")

    num = " * ".join(term(i) for i in _where(a > 0)) or "1"
    den = " * ".join(term(i) for i in _where(a < 0))
    return f"{num} / {den}" if den else num


def analyse(jac: np.ndarray, residuals: np.ndarray, names: Sequence[str], x: np.ndarray,
            log: np.ndarray, low: np.ndarray, high: np.ndarray, rtol: float = 1e-3,
            clusters: Sequence[int] | None = None, forms: Sequence[Form] = (),
            directions: Sequence[tuple[np.ndarray, np.ndarray]] = (),
            nuisance: int = 0) -> Analysis:
    """Covariance, identified combinations and warnings at the optimum ``x`` (see module).

    ``forms``: known physical combinations (:mod:`s2r.sysid.forms`) reported, where the
    data identify them, before any anonymous monomial or linear form.

    ``directions``: ``(d, r_d)`` pairs, a step direction ``d`` in ``x`` and the residuals'
    derivative along it measured by a dedicated difference (a model symmetry, such as a
    DC motor's ``km``, ``Rm`` and damping moving together). Where ``|r_d|`` is below
    ``rtol`` times the largest singular value the direction counts as unseen, even if
    the Jacobian's columns, each with its own finite-difference error, do not cancel.

    ``clusters``: lengths of consecutive blocks of residuals (one per segment) whose
    errors may be correlated with each other; given, the covariance is the cluster-robust
    "sandwich" ``A (sum_s g_s g_s^T) A m / (m - 1)`` (``A = (J^T J)^+``, ``g_s = J_s^T r_s``,
    ``m`` segments), or ``s^2 A`` where that is larger (by trace), since residuals of one
    segment share the error of its start state and quantization is not white noise.

    ``nuisance``: the number of other variables eliminated from the residuals (freed
    segment start states, :mod:`s2r.sysid.starts`), taken off the degrees of freedom.
    """
    n, p = jac.shape
    names = list(names)
    s = _scales(x, log, low, high)
    jz = jac * s  # d r / d z
    top = float(np.linalg.norm(jz, 2)) if jz.size else 0.0
    for d, rd in directions:
        dz = np.asarray(d, dtype=float) / s
        norm = float(np.linalg.norm(dz))
        if norm > 0 and np.linalg.norm(rd) / norm < rtol * top:
            u = dz / norm
            jz = jz - np.outer(jz @ u, u)  # the data do not see u: remove it exactly
    _, sv, vt = np.linalg.svd(jz, full_matrices=False)
    keep = sv > rtol * (sv[0] if len(sv) and sv[0] > 0 else 1.0)
    rank = int(keep.sum())
    dof = max(n - rank - nuisance, 1)
    var = float(residuals @ residuals) / dof
    v_id, v_null = vt[keep].T, vt[~keep].T
    a_z = (v_id / sv[keep] ** 2) @ v_id.T
    cov_z = var * a_z
    if clusters is not None and len(clusters) > 1:
        edges = np.cumsum([0, *clusters])
        grads = np.array([jz[lo:hi].T @ residuals[lo:hi]
                          for lo, hi in zip(edges[:-1], edges[1:], strict=True)])
        m = len(grads)
        robust = a_z @ (grads.T @ grads) @ a_z * (m / (m - 1))
        if np.trace(robust) > np.trace(cov_z):
            cov_z = robust
    cov = cov_z * np.outer(s, s)
    member = np.zeros(p, dtype=bool)
    groups = _groups(v_null, 0.05) if v_null.size else []
    for g in groups:
        member[g] = True
    std = np.where(member, np.inf, np.sqrt(np.clip(np.diag(cov), 0.0, None)))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(np.sqrt(np.diag(cov)), np.sqrt(np.diag(cov)))
    corr[member, :] = np.nan
    corr[:, member] = np.nan
    out = Analysis(cov, std, corr, sv, [names[i] for i in _where(member)],
                   dof=dof, residual_variance=var)
    z = np.where(log, x, x / s)
    for g in groups:
        g_null = v_null[:, [k for k in range(v_null.shape[1])
                            if np.any(np.abs(v_null[g, k]) > 0.05)]]
        want = len(g) - g_null.shape[1]
        physical, known = _physical(g, forms, names, x, log, s, g_null, cov_z, want, 0.02)
        out.combinations += known
        combos = _monomials(g, log, g_null, want - len(known), 0.02, physical)
        for a in combos:
            value = float(np.exp(a @ x))
            out.combinations.append(Combination(
                _monomial_name(a, names), "monomial",
                {names[i]: float(a[i]) for i in _where(a)}, value,
                value * math.sqrt(max(float(a @ cov_z @ a), 0.0))))
        # the rest of the group's identified space, as linear forms in z
        rest = np.zeros((0, p))
        taken = [*physical, *combos]
        if taken:
            q, _ = np.linalg.qr(np.array(taken).T)
            proj = v_id - q @ (q.T @ v_id)
        else:
            proj = v_id
        u, sr, _ = np.linalg.svd(proj[g], full_matrices=False)
        for k in range(min(want - len(taken), len(sr))):
            c = np.zeros(p)
            c[g] = u[:, k] / np.max(np.abs(u[:, k]))
            rest = np.vstack([rest, c])
        for c in rest:
            terms = [f"{c[i]:+.3g}*" + (f"log({names[i]})" if log[i] else f"{names[i]}/{s[i]:.3g}")
                     for i in _where(np.abs(c) > 1e-3)]
            out.combinations.append(Combination(
                " ".join(terms), "linear", {names[i]: float(c[i]) for i in _where(c)},
                float(c @ z), math.sqrt(max(float(c @ cov_z @ c), 0.0))))
    for g in groups:
        if len(g) == 1:
            out.warnings.append(f"{names[g[0]]}: small steps of it do not change the residuals "
                                "at the fit (a step-wise effect, e.g. encoder resolution, or "
                                "a parameter with no effect near this value): try "
                                "method=cma, or fix it")
    if groups:
        for comb in out.combinations:
            out.warnings.append(f"{', '.join(comb.coefficients)}: not identifiable one by one "
                                f"from these data; identified: {comb.name} = {comb.value:.6g}")
    span = high - low
    for i, name in enumerate(names):
        if x[i] <= low[i] + 1e-3 * span[i]:
            out.warnings.append(f"{name}: at its lower bound (the data may want it lower: "
                                "check the bound and the data)")
        elif x[i] >= high[i] - 1e-3 * span[i]:
            out.warnings.append(f"{name}: at its upper bound (the data may want it higher: "
                                "check the bound and the data)")
    for i, name in enumerate(names):
        # relative half-width of the 95 % interval: x is log(p) on a log scale
        rel = 1.96 * std[i] if log[i] else 1.96 * std[i] / max(abs(float(x[i])), 1e-300)
        if np.isfinite(rel) and rel > WEAK_WARN:
            out.warnings.append(f"{name}: weakly determined by these data (95 % interval "
                                f"+-{100 * min(rel, 9.99):.0f} % of its value): record longer "
                                "or richer excitation, or fix it")
    for i, j in itertools.combinations(range(p), 2):
        if np.isfinite(corr[i, j]) and abs(corr[i, j]) > RHO_WARN:
            out.warnings.append(f"{names[i]} and {names[j]}: strongly correlated "
                                f"(rho = {corr[i, j]:+.3f}); consider fixing one")
    return out
