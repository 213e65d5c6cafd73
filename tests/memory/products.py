"""The `products` family of the memory fuzzer (generator.py, from seed 19 on): matrix products
written with `@`, as users write them, next to the memory writes of the other families.

    s0 = s0 + (np.tanh(x[1:5]) @ y[:4]) * 0.3     # vector @ vector, of a view (head, y[::2])
    y[:2] += B @ head * 0.2                       # into an array in place, through a view
    s1 += np.sum(np.sin(y[:2] @ B)) * 0.4         # vector @ matrix
    if ((x[0:4] @ y[2:6]) > 0.1):                 # in a condition: its `@k@` token is spelled
        s0 = s0 * 0.9                             # out around the product's own `@`

The conditions of a program are tokens (`@3@`) until its source is written out
(tests/helpers.py spell_conditions), so an `@` of a product lives beside them.
"""


def products(gen, p):
    """Lines at indent p for one `@` pattern of ProgramGenerator `gen`."""
    r = gen.r
    gen.features.add("@ (matmul)")
    k, c = r.random(), gen.const(0.1, 0.5)
    if k < 0.25:
        return [f"{p}s0 = s0 + ({gen.vec(4)} @ {gen.vec(4, 0)}) * {c}"]
    if k < 0.45:
        return [f"{p}y[:2] += B @ {gen.vec(4)} * {c}"]
    if k < 0.6:
        return [f"{p}s1 += np.sum(np.{r.choice(['sin', 'tanh'])}({gen.vec(2)} @ B)) * {c}"]
    if k < 0.75:
        return [f"{p}B = np.tanh(np.reshape(x, (2, 4)) @ B.T @ B) * {c}"]
    gen.features.add("condition")
    gen.conds.append((f"({gen.vec(4, 0)} @ {gen.vec(4, 0)})", gen.const(-0.5, 0.5)))
    return [f"{p}if @{len(gen.conds) - 1}@:", f"{p}    s0 = s0 * {gen.const(0.5, 0.9)}"]
