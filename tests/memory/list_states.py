"""The `list_states` family of the memory fuzzer (generator.py, from seed 15 on): states of a
multi-layer recurrent network kept the way users write them, and their near misses.

    hs = [np.zeros(4), np.tanh(B[1])]         # or a comprehension, or list(B) (rows of B)
    for t in range(2):
        v = head                              # a view of y, then the entries read back
        for i in range(2):
            hs[i] = np.tanh(B[i] * v + hs[i]) # an entry replaced: no array written
            v = hs[i]
        s0 = s0 + np.sum(v * v) * 0.1

spelled through a second name for the list (`al = hs; al[i] = ...`), a helper that replaces
entries, `enumerate(zip(B, hs))`, (h, c) pairs per layer, a dict of states, `append` then
`[-1]`; and the near misses that write an entry's array in place (`v = hs[i]; hs[i] += e`,
`v *= e` where v is an entry; with `list(B)` the entries are rows of B, so B changes too).
"""


def list_states(gen, p):
    """Lines at indent p for one list-of-states pattern of ProgramGenerator `gen`."""
    r = gen.r
    gen.features.add("list of states")
    hs = gen.fresh("hs")
    made = r.choice(["[np.zeros(4), np.tanh(B[1])]", "[np.zeros(4) for _ in range(2)]",
                     "list(B)", "[head * 1.0, B[0] * 0.5]"])
    lines = [f"{p}{hs} = {made}"]
    k = r.random()
    if k < 0.45:
        lines += _layers(gen, p, hs)
    elif k < 0.6:
        lines += _pairs(gen, p)
    elif k < 0.7:
        lines += _dict(gen, p)
    elif k < 0.8:
        lines += _appended(gen, p, hs)
    else:
        lines += _near_miss(gen, p, hs)
    lines.append(f"{p}y[:4] += ({hs}[0] + {hs}[1]) * {gen.const(0.1, 0.4)}")
    return lines


def _layers(gen, p, hs):
    """Entries replaced layer by layer, each read back into the name that feeds the next."""
    r = gen.r
    t, i, v = gen.fresh("t"), gen.fresh("i"), gen.fresh("v")
    first = r.choice(["head", "y[4:]", "x[:4]", "np.sin(y[::2])"])
    new = f"np.tanh(B[{i}] * {v} + {hs}[{i}])"
    style = r.random()
    if style < 0.25:
        al = gen.fresh("al")
        gen.features.add("list alias")
        inner = [f"{p}{al} = {hs}", f"{p}for {t} in range(2):", f"{p}    {v} = {first}",
                 f"{p}    for {i} in range(2):", f"{p}        {al}[{i}] = {new}"]
    elif style < 0.45:
        gen.features.add("helper replaces an entry")
        inner = [f"{p}for {t} in range(2):", f"{p}    {v} = {first}",
                 f"{p}    for {i} in range(2):", f"{p}        _put({hs}, {i}, {new})"]
    elif style < 0.65:
        row, h = gen.fresh("row"), gen.fresh("h")
        inner = [f"{p}for {t} in range(2):", f"{p}    {v} = {first}",
                 f"{p}    for {i}, ({row}, {h}) in enumerate(zip(B, {hs})):",
                 f"{p}        {hs}[{i}] = np.tanh({row} * {v} + {h})"]
    else:
        inner = [f"{p}for {t} in range(2):", f"{p}    {v} = {first}",
                 f"{p}    for {i} in range(2):", f"{p}        {hs}[{i}] = {new}"]
    return inner + [f"{p}        {v} = {hs}[{i}]",
                    f"{p}    s0 = s0 + np.sum({v} * {v}) * {gen.const(0.05, 0.2)}"]


def _pairs(gen, p):
    """(h, c) pairs per layer, unpacked, updated, and put back as a new tuple."""
    ls, t, i, v = gen.fresh("ls"), gen.fresh("t"), gen.fresh("i"), gen.fresh("v")
    h, c = gen.fresh("h"), gen.fresh("c")
    return [f"{p}{ls} = [(np.zeros(4), B[0] * 1.0), (np.tanh(B[1]), np.zeros(4))]",
            f"{p}for {t} in range(2):", f"{p}    {v} = head",
            f"{p}    for {i} in range(2):", f"{p}        {h}, {c} = {ls}[{i}]",
            f"{p}        {c} = 0.5 * {c} + np.tanh(B[{i}] * {v} + {h})",
            f"{p}        {h} = np.tanh({c})", f"{p}        {ls}[{i}] = ({h}, {c})",
            f"{p}        {v} = {h}", f"{p}    s1 = s1 + np.sum({v}) * {gen.const(0.05, 0.2)}"]


def _dict(gen, p):
    """A dict of states, entries replaced and read back."""
    st, t, v = gen.fresh("st"), gen.fresh("t"), gen.fresh("v")
    return [f"{p}{st} = {{'h': np.zeros(4), 'c': B[1] * 1.0}}", f"{p}for {t} in range(2):",
            f"{p}    {st}['c'] = 0.5 * {st}['c'] + np.tanh(B[0] * head)",
            f"{p}    {st}['h'] = np.tanh({st}['c']) + {st}['h'] * 0.5",
            f"{p}    {v} = {st}['h']", f"{p}    s0 = s0 + np.sum({v} * {v}) * 0.1"]


def _appended(gen, p, hs):
    """States appended, the last one read back with [-1]."""
    t = gen.fresh("t")
    return [f"{p}for {t} in range(2):",
            f"{p}    {hs}.append(np.tanh(B[{t}] * {hs}[-1] + y[:4]))",
            f"{p}s1 = s1 + np.sum({hs}[-1]) * 0.1"]


def _near_miss(gen, p, hs):
    """An entry's array written in place while another name holds it: NumPy changes both."""
    r = gen.r
    gen.features.add("list state updated in place")
    i, v = r.randrange(2), gen.fresh("v")
    if r.random() < 0.5:
        return [f"{p}{v} = {hs}[{i}]", f"{p}{hs}[{i}] {r.choice(['+=', '*='])} np.cos(head)",
                f"{p}s0 = s0 + np.sum({v}) * 0.1"]
    return [f"{p}{v} = {hs}[{i}]", f"{p}{v} *= np.cos(y[4:])",
            f"{p}s1 = s1 + np.sum({hs}[{i}]) * 0.1"]
