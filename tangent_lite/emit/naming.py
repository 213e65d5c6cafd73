"""Names a person would choose for what the compiler introduces, without clashing.

The generated code is read by people, so temporaries are named after what they hold (`t_sin`),
adjoints after their primal (`dW1` for `W1`), and a clash is settled with a numeric suffix rather
than an unreadable mangled name.
"""
import re


class Namer:
    """Hands out fresh names that clash with nothing reserved or handed out before."""

    def __init__(self, reserved=()):
        self.taken = set(reserved)
        self.permanent = set()     # names bound to objects: no trial run may hand them out
        self._adjoints = {}

    def reserve(self, name, permanent=False):
        self.taken.add(name)
        if permanent:
            self.permanent.add(name)

    def fresh(self, base):
        base = re.sub(r"\W", "_", base) or "t"
        if base not in self.taken:
            self.taken.add(base)
            return base
        i = 2
        while f"{base}{i}" in self.taken:
            i += 1
        name = f"{base}{i}"
        self.taken.add(name)
        return name

    def claim_adjoint(self, primal, name):
        """Use `name` (already the user's, e.g. `dh` in `with grad_of(h) as dh`) for the
        adjoint of `primal`."""
        self._adjoints.setdefault(primal, name)

    def adjoints(self):
        """primal -> the name of its adjoint, for those handed out so far."""
        return dict(self._adjoints)

    def snapshot(self):
        """The current state, to undo names handed out by a trial run."""
        return set(self.taken), dict(self._adjoints)

    def restore(self, state):
        taken, adjoints = state
        self.taken, self._adjoints = set(taken) | self.permanent, dict(adjoints)

    def temp(self, hint):
        """A temporary holding the result of operation `hint` (e.g. 'sin' -> 't_sin')."""
        return self.fresh(f"t_{hint}")

    def adjoint(self, primal):
        """The one name of the adjoint of the variable `primal`: 'd' + primal where free."""
        name = self._adjoints.get(primal)
        if name is None:
            base = f"d{primal}"
            if base in self.taken:
                base = f"d_{primal}"
            name = self.fresh(base)
            self._adjoints[primal] = name
        return name
