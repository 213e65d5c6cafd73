"""The shape-specialised variants of one df, compiled when df is first called with arrays.

The generic df starts by calling its dispatch function with its arguments: the variants
compiled so far are tried in turn, their guards (optimize/specialise.py) written inline in
one function made afresh whenever the variants change and given to df's binding of it (a
closure cell), so that a call pays df's own call, one guard and the variant's call (the
guard's function and a loop over the variants cost a third of a microsecond more); a call no
guard fits records the arguments' signature and compiles a variant for it. A later call with
the same kinds, dtypes and ranks but other sizes generalises that variant once (the sizes that
changed become symbols) instead of compiling one per batch size, and at most
specialise.MAX_VARIANTS are kept, so the cost of compiling is paid a few times per df at most.
Where the generalised variant would remove less than the sized one did (the ODE's `x[1:]`
has a length only for a known size), the sized one is kept and the new sizes get their own,
up to the same bound; past it, the generalised variant serves the sizes of that structure.
Where the specialisation would change nothing, the variant is recorded without a df and the
generic df runs, after one guard call.

Thread-safety: variants are compiled under a lock and published as a new tuple, which a
concurrent call reads whole. A variant lives as long as the generic df it belongs to: the
cache (cache.py) drops both together when f, the rules or the passes change.
"""
import ast
import dataclasses
import threading

import numpy as np

from . import optimize
from .compiled import finish
from .optimize import specialise
from .optimize.inplace import real_signature

# names a guard's source reads besides the parameters (a parameter named so would hide them)
_GUARD_NAMES = {"np", "ndarray", "type", "len", "tuple", "dict", "list"}
_MAX_COMPILES = 16    # generalisations included: a bound whatever the calls


def _fresh(name, taken):
    """`name`, or with underscores added until it is none of `taken`."""
    while name in taken:
        name += "_"
    return name


def _calls(source):
    """The calls a variant's source makes outside its guard: the helpers and pushes its shapes
    did not prove away (a generalised variant that makes more of them than the sized one it
    replaces has lost what the sizes proved)."""
    return sum(isinstance(node, ast.Call)
               for fn in ast.parse(source).body
               if isinstance(fn, ast.FunctionDef) and not fn.name.startswith("fits_")
               for node in ast.walk(fn))


@dataclasses.dataclass(frozen=True)
class Variant:
    signature: tuple
    fits: object          # the guard function
    df: object            # None where specialising changes nothing
    compiled: object      # the Compiled variant (or None)
    guard: str            # the guard's source
    error: object = None  # why compiling it failed (the generic df runs), for tl.source
    calls: int = 0        # how many calls its body makes (_calls): what a sized variant
                          # and its generalisation are compared by


class Specialiser:
    """Called as the first thing df does: the variant df for these arguments, or None."""

    def __init__(self, func, options, fn, signature, mode, reverse, seed=None,
                 returned=None):
        self.func, self.options, self.mode = func, options, mode
        self.reverse = reverse           # options -> (context, Reversed): pipeline's stages
        # A vjp's first argument is its seed, the adjoint of f's result: the guard checks it
        # with the parameters, and a variant is compiled only where it has the shape of the
        # result (returned: parameter shapes -> that shape), which every adjoint of a
        # specialised df is assumed to have.
        self.seed, self.returned = seed, returned
        self.params = ([seed] if seed else []) + list(fn.params)
        self.name = fn.name
        self.signature = signature       # df's parameter list as source
        self.off = optimize.switched_off()
        self.variants = ()
        self._cells = []
        self.dispatch = self._dispatch_missed   # no variant yet: every call misses
        self.compiles = 0
        self.exact = set()   # structures whose generalised variant removed less
        self.general = {}    # structure -> that generalised variant: the sizes past the bound
        self.lock = threading.Lock()

    def __call__(self, *args):
        return self.dispatch(*args)

    def attach(self, df):
        """Make the generic `df` call the dispatch function: its binding of this
        Specialiser (a closure cell of the compiled code) is given each new one."""
        self._cells = [c for c in df.__closure__ or () if c.cell_contents is self]
        for cell in self._cells:
            cell.cell_contents = self.dispatch

    def _publish(self, variants):
        """Make `variants` the ones calls try: the tuple, and a dispatch function made
        from their guards (specialise.dispatch_source), given to df's binding of it."""
        taken = set(self.params) | _GUARD_NAMES
        missed = _fresh("missed", taken)
        picked = [_fresh(f"variant_{k}", taken) for k in range(len(variants))]
        name = f"specialise_{specialise.identifier(self.name)}"
        source, dtypes = specialise.dispatch_source(
            name, self.params, [v.signature for v in variants], picked, missed)
        namespace = {"np": np, "ndarray": np.ndarray, **dtypes, missed: self._dispatch_missed,
                     **{p: v.df for p, v in zip(picked, variants)}}
        exec(compile(source, f"<dispatch of {self.name}'s specialised gradients>", "exec"),
             namespace)
        self.variants = tuple(variants)
        self.dispatch = namespace[name]
        for cell in self._cells:
            cell.cell_contents = self.dispatch

    def _dispatch_missed(self, *args):
        return self._missed(args)

    def variant_for(self, args):
        """The Variant that calls with `args` run (compiled now if need be), or None."""
        for variant in self.variants:
            if variant.fits(*args):
                return variant
        self._missed(args)
        for variant in self.variants:
            if variant.fits(*args):
                return variant
        return None

    def _missed(self, args):
        signature = specialise.signature_of(self.params, args)
        if not specialise.guardable(signature) or _GUARD_NAMES & set(self.params):
            return None
        with self.lock:
            for variant in self.variants:
                if variant.fits(*args):
                    return variant.df
            if self.compiles >= _MAX_COMPILES:
                return None
            variants = list(self.variants)
            kind = specialise.structure(signature)
            same = [k for k, v in enumerate(variants)
                    if specialise.structure(v.signature) == kind]
            if same and kind not in self.exact:
                old = variants[same[0]]
                variant = self._attempt(specialise.generalised(old.signature, signature))
                if old.df is None or (variant.df is not None
                                      and variant.calls <= old.calls):
                    variants.pop(same[0])
                    self._publish(variants + [variant])
                    return variant.df if variant.fits(*args) else None
                # The sizes themselves proved more (`x[1:]` of a symbol has no length the
                # guard proves; `x[:, k:k + L]` with L = n - K + 1 has one only for known n
                # and K): keep the old variant, one for these sizes if room, and the
                # generalised one for the sizes past the bound.
                self.exact.add(kind)
                if variant.df is not None:
                    self.general[kind] = variant
            if len(variants) >= specialise.MAX_VARIANTS or self.compiles >= _MAX_COMPILES:
                general = self.general.pop(kind, None)
                if general is None:
                    return None
                self._publish(variants + [general])
                return general.df if general.fits(*args) else None
            variant = self._attempt(signature)
            self._publish(variants + [variant])
            return variant.df if variant.fits(*args) else None

    def _attempt(self, signature):
        """The Variant compiled for `signature`, or one without a df saying why not."""
        self.compiles += 1
        try:
            return self._compile(signature)
        except Exception as error:   # never worse than the generic df, which compiled
            fits, guard = self._guard(signature)
            return Variant(signature, fits, None, None, guard, error)

    def _guard(self, signature):
        """(the guard function, its source) of a variant for `signature`."""
        guard_name = f"fits_{specialise.identifier(self.name)}"
        guard, dtypes = specialise.guard_source(guard_name, self.params, signature)
        namespace = {"np": np, "ndarray": np.ndarray, **dtypes}
        exec(compile(guard, f"<guard of {self.name}'s specialised gradient>", "exec"),
             namespace)
        return namespace[guard_name], guard

    def _compile(self, signature):
        fits, guard = self._guard(signature)
        seed_entry = None
        if self.seed:
            seed_entry, signature = signature[0], signature[1:]
            result = self.returned(specialise.param_shapes(self.params[1:], signature))
            if seed_entry[0] != "array" or seed_entry[2] != result:
                return Variant((seed_entry,) + signature, fits, None, None, guard)
        options = dataclasses.replace(self.options, specialised=signature,
                                      seed_signature=seed_entry)
        with optimize.only_off(self.off):
            ctx, out = self.reverse(options)
        if seed_entry is not None:
            signature = (seed_entry,) + signature
        if not out.specialised and real_signature(signature):
            # nothing removed: the generic df serves; but for a complex argument, it adds
            # adjoints in place into real arrays, which refuse complex ones: this one does not
            return Variant(signature, fits, None, None, guard)
        compiled = finish(self.func, self.options.wrt, self.mode, ctx.parsed, ctx.fn,
                          out.derivative, self.signature, ctx.bindings, out.callees)
        compiled.source = guard + "\n\n" + compiled.source
        return Variant(signature, fits, compiled.df, compiled, guard,
                       calls=_calls(compiled.source))
