"""A tour of the core in one screen: a gradient, a Hessian-vector product, a gradient check.

Run it with ``make demo`` (or ``python examples/demo.py``).
"""

import tinygrad_gd as tg


def rosenbrock(p: tg.Tensor) -> tg.Tensor:
    """f(x, y) = (1 - x)^2 + 100 (y - x^2)^2, minimum at (1, 1)."""
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def main() -> None:
    p = tg.tensor([-1.2, 1.0], dtype="float64", requires_grad=True)
    loss = rosenbrock(p)
    loss.backward()
    print(f"f(-1.2, 1)        = {loss.item():.4f}")
    print(f"gradient          = {p.grad.tolist()}")

    v = tg.tensor([1.0, 0.0], dtype="float64")
    _, hv = tg.hvp(rosenbrock, p.detach(), v)
    print(f"H @ [1, 0]        = {hv.tolist()}   (Hessian-vector product, no Hessian formed)")
    hessian = tg.hessian(rosenbrock, tg.tensor([1.0, 1.0], dtype="float64"))
    print(f"Hessian at (1, 1) = {hessian.tolist()}")

    ok = tg.gradcheck(rosenbrock, (tg.randn(2, dtype="float64", requires_grad=True),))
    print(f"gradcheck         = {ok}   (autodiff agrees with central differences)")


if __name__ == "__main__":
    main()
