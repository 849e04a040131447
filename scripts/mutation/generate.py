"""Source-level mutants of the RTL, all compiled into one model behind a run-time selector.

Why source level (not a Yosys netlist as mcy does): the testbench needs the simulation-only
backdoor and dump code, which a synthesized netlist would lose.

Every mutation is a statement-level rewrite that keeps the file valid SystemVerilog:

    lhs <= EXPR;      ->  begin if (masr_mut_sel != Kd) lhs <= (masr_mut_sel == K1) ? (EXPR1) : (EXPR); end
    assign lhs = E;   ->  assign lhs = (masr_mut_sel == Kd) ? (E ^ E) : (masr_mut_sel == K1) ? (E1) : (E);
    if (COND)         ->  if ((masr_mut_sel == Kt) ? 1'b1 : (masr_mut_sel == Kf) ? 1'b0 : ... : (COND))

where EXPRk differs from EXPR in exactly one operator or constant token.  With selector 0 every
rewrite selects the original expression, so the model behaves exactly like the original RTL.

Never mutated: comments, anything inside a preprocessor conditional (`ifndef SYNTHESIS` code,
simulator services), assertion / cover macro invocations, declarations and their initializers,
generate conditions and loops on parameters (only procedural `if`s are sites), case labels,
bit / part-select indices, cast widths, and the package masr_pkg.sv.  A statement inside a
generate loop is one source line: its mutant changes every instance at once.
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

SELECTOR = "masr_mut_sel"
PLUSARG = "masr_mut"
# The one run-time copy of the selector: a variable of the top module that cocotb can write
# (public_flat_rw), so one simulator process can run mutant after mutant (tb/mutation_batch.py).
# Its initial value comes from the plusarg (0 or absent: the original design).  Every mutated
# module reads it by an upward hierarchical reference on every evaluation, never a copy made at
# time 0.
TOP = "masr_top"
RUNTIME_SELECTOR = "masr_mut_rt"


def selector_decl(module: str, top: str = TOP) -> str:
    """The declarations appended to a module header (one line: line numbers stay)."""
    if module == top:
        return (f" int {RUNTIME_SELECTOR} /*verilator public_flat_rw*/; initial if "
                f"(!$value$plusargs(\"{PLUSARG}=%d\", {RUNTIME_SELECTOR})) {RUNTIME_SELECTOR} = 0;"
                f" int {SELECTOR}; assign {SELECTOR} = {RUNTIME_SELECTOR};")
    return f" int {SELECTOR}; assign {SELECTOR} = {top}.{RUNTIME_SELECTOR};"

# The documented operator set (docs/mutation.md): name -> what it does.
OPERATORS = {
    "rel_boundary": "relational boundary: < <-> <=, > <-> >=",
    "and_or": "logical / bitwise and-or: && <-> ||, & <-> | (binary)",
    "arith": "arithmetic: + <-> - (binary)",
    "const": "constant 0 <-> 1 ('0 <-> '1, N'b0 <-> N'b1, 0 <-> 1)",
    "cond_true": "if condition stuck at true",
    "cond_false": "if condition stuck at false",
    "drop": "assignment dropped (procedural) / driven to 0 (continuous: a dropped enable)",
    "mux_swap": "operands of a ?: swapped",
}

_REL_SWAP = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}
_ANDOR_SWAP = {"&&": "||", "||": "&&", "&": "|", "|": "&"}
_ARITH_SWAP = {"+": "-", "-": "+"}

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<comment>//[^\n]*|/\*.*?\*/)
  | (?P<string>"(?:\\.|[^"\\])*")
  | (?P<directive>`[A-Za-z_]\w*)
  | (?P<number>\d+\s*'[sS]?[bBoOdDhH]\s*[0-9a-fA-FxXzZ_?]+|'[01xXzZ]\b|\d[\d_]*)
  | (?P<ident>[A-Za-z_$][\w$]*)
  | (?P<op><<<|>>>|===|!==|::|\+:|-:|<=|>=|==|!=|&&|\|\||<<|>>|\*\*|\+\+|--|->|[-+*/%<>=!~&|^?:;,.(){}\[\]@#'])
""", re.VERBOSE | re.DOTALL)

_CONDITIONAL_OPEN = {"`ifdef", "`ifndef"}
_LINE_DIRECTIVES = {"`include", "`define", "`undef", "`timescale", "`default_nettype"}
_DECL_WORDS = {"logic", "int", "integer", "bit", "reg", "wire", "input", "output", "inout",
               "localparam", "parameter", "genvar", "string", "byte", "shortint", "longint",
               "automatic", "typedef", "var", "const", "static"}
_BLOCK_KEYWORDS = {"always", "always_ff", "always_comb", "always_latch"}


@dataclass(frozen=True)
class Tok:
    kind: str
    text: str
    start: int
    end: int
    line: int


@dataclass
class Mutant:
    id: int
    file: str          # file name under rtl/
    module: str
    line: int          # first line of the mutated statement / condition
    lines: tuple[int, int]   # line range of the mutated statement / condition
    operator: str
    change: str        # the one change, e.g. "`<` -> `<=`"
    original: str      # the source statement or condition, whitespace-collapsed
    mutated: str       # the same with the change applied
    # An `if` condition: line coverage counts the line only when the branch is taken, but the
    # condition is evaluated (and the mutant active) whenever its block runs.  Not in the key.
    condition: bool = False

    @property
    def key(self) -> str:
        """Stable name of the mutant: independent of ids (which shift when a mutant is dropped)."""
        text = (f"{self.file}|{self.line}|{self.module}|{self.operator}|{self.original}|"
                f"{self.mutated}|{self.change}")
        return hashlib.sha1(text.encode()).hexdigest()[:12]

    def to_dict(self) -> dict:
        return {**asdict(self), "key": self.key}


def tokenize(text: str, conditional_reads: Counter | None = None) -> list[Tok]:
    """Tokens the generator may look at: comments, strings, preprocessor-conditional regions,
    `include/`define lines and macro invocations (assertions) are left out.  Identifiers seen
    in conditional regions are counted into ``conditional_reads``: code there may read a signal
    (a signal is not checker-only because its reader is simulation-only or synthesis-only)."""
    raw: list[Tok] = []
    pos, line = 0, 1
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"line {line}: cannot tokenize {text[pos:pos + 20]!r}")
        kind = m.lastgroup or "op"
        raw.append(Tok(kind, m.group(), m.start(), m.end(), line))
        line += m.group().count("\n")
        pos = m.end()
    out: list[Tok] = []
    depth = 0          # nesting of `ifdef / `ifndef
    i = 0
    while i < len(raw):
        tok = raw[i]
        if tok.kind == "directive":
            if tok.text in _CONDITIONAL_OPEN:
                depth += 1
            elif tok.text == "`endif":
                depth -= 1
            elif tok.text in _LINE_DIRECTIVES:
                while i + 1 < len(raw) and raw[i + 1].line == tok.line:
                    i += 1
            elif tok.text not in ("`else", "`elsif") and depth == 0:
                i = _skip_macro_call(raw, i)   # `ASSERT(...), `COVER(...): never mutated
            i += 1
            continue
        if depth == 0 and tok.kind not in ("ws", "comment"):
            out.append(tok)
        elif depth > 0 and tok.kind == "ident" and conditional_reads is not None:
            conditional_reads[tok.text] += 1      # e.g. the `else (SYNTHESIS) design branch
        i += 1
    return out


def _skip_macro_call(raw: list[Tok], i: int) -> int:
    j = i + 1
    while j < len(raw) and raw[j].kind in ("ws", "comment"):
        j += 1
    if j >= len(raw) or raw[j].text != "(":
        return i
    depth = 0
    while j < len(raw):
        if raw[j].text == "(":
            depth += 1
        elif raw[j].text == ")":
            depth -= 1
            if depth == 0:
                return j
        j += 1
    return j


_OPEN, _CLOSE = {"(", "[", "{"}, {")", "]", "}"}


def _match(toks: list[Tok], i: int) -> int:
    """Index of the bracket closing the one at i."""
    depth = 0
    for j in range(i, len(toks)):
        if toks[j].text in _OPEN:
            depth += 1
        elif toks[j].text in _CLOSE:
            depth -= 1
            if depth == 0:
                return j
    raise ValueError(f"line {toks[i].line}: unbalanced {toks[i].text}")


def _scan_to(toks: list[Tok], i: int, stops: set[str]) -> int:
    """First index >= i whose token is in ``stops`` at bracket depth 0."""
    depth = 0
    for j in range(i, len(toks)):
        t = toks[j].text
        if depth == 0 and t in stops:
            return j
        if t in _OPEN:
            depth += 1
        elif t in _CLOSE:
            depth -= 1
    raise ValueError(f"line {toks[i].line}: no {stops} after here")


@dataclass
class _Site:
    kind: str            # "assign" (continuous), "stmt" (procedural), "cond"
    module: str
    first: int           # token index range of the whole edit target
    last: int
    expr_first: int      # token range of the expression to mutate
    expr_last: int
    nonblocking: bool = False
    block: int = -1      # the always block / function the site is in (-1: continuous)
    lhs_end: int = -1    # token index of the assignment operator


class _Parser:
    def __init__(self, toks: list[Tok]):
        self.toks = toks
        self.sites: list[_Site] = []
        self.module = ""
        self.header_ends: list[int] = []      # token index of each module header's ';'
        self.modules: list[str] = []          # the module each header belongs to
        self.block = -1

    def t(self, i: int) -> str:
        return self.toks[i].text if i < len(self.toks) else ""

    def parse(self) -> None:
        i = 0
        while i < len(self.toks):
            word = self.t(i)
            if word == "module":
                self.module = self.t(i + 1)
                i = _scan_to(self.toks, i, {";"})
                self.header_ends.append(i)
                self.modules.append(self.module)
            elif word == "assign":
                i = self._assignment(i + 1, "assign", collect=True)
            elif word in _BLOCK_KEYWORDS:
                self.block = i
                i += 1
                if self.t(i) == "@":
                    i = i + 2 if self.t(i + 1) == "*" else _match(self.toks, i + 1) + 1
                i = self._statement(i, collect=True)
                self.block = -1
                continue
            elif word == "initial":
                i = self._statement(i + 1, collect=False)
                continue
            elif word == "function":
                i = self._function(i)
            elif word == "task":
                while self.t(i) != "endtask":
                    i += 1
            i += 1

    def _function(self, i: int) -> int:
        self.block = i
        i = _scan_to(self.toks, i, {";"}) + 1
        while self.t(i) != "endfunction":
            i = self._statement(i, collect=True)
        self.block = -1
        return i

    def _assignment(self, i: int, kind: str, collect: bool) -> int:
        """`lhs = expr;` / `lhs <= expr;` from i; returns the index of its ';'."""
        end = _scan_to(self.toks, i, {";"})
        try:
            op = _scan_to(self.toks, i, {"=", "<="})
        except ValueError:
            return end
        if op > end:          # a call or increment, not an assignment
            return end
        if collect and op + 1 < end:
            self.sites.append(_Site(kind, self.module, i, end, op + 1, end - 1,
                                    nonblocking=self.t(op) == "<=",
                                    block=self.block if kind == "stmt" else -1, lhs_end=op))
        return end

    def _statement(self, i: int, collect: bool) -> int:
        """Parse one procedural statement starting at i; returns the index after it."""
        word = self.t(i)
        if word == "begin":
            i += 1
            if self.t(i) == ":":
                i += 2
            while self.t(i) != "end":
                i = self._statement(i, collect)
            i += 1
            if self.t(i) == ":":
                i += 2
            return i
        if word == "if":
            close = _match(self.toks, i + 1)
            if collect:
                self.sites.append(_Site("cond", self.module, i + 2, close - 1, i + 2, close - 1,
                                        block=self.block))
            i = self._statement(close + 1, collect)
            if self.t(i) == "else":
                i = self._statement(i + 1, collect)
            return i
        if word in ("for", "while", "repeat"):
            return self._statement(_match(self.toks, i + 1) + 1, collect)
        if word == "forever":
            return self._statement(i + 1, collect)
        if word in ("unique", "priority", "unique0"):
            return self._statement(i + 1, collect)
        if word in ("case", "casez", "casex"):
            i = _match(self.toks, i + 1) + 1
            while self.t(i) != "endcase":
                if self.t(i) == "default":
                    i += 1
                    if self.t(i) == ":":
                        i += 1
                else:
                    i = _scan_to(self.toks, i, {":"}) + 1
                i = self._statement(i, collect)
            return i + 1
        if word == ";":
            return i + 1
        if word in _DECL_WORDS or word.startswith("$") or word == "return" or \
                self.toks[i].kind != "ident" and word != "{":
            return _scan_to(self.toks, i, {";"}) + 1
        return self._assignment(i, "stmt", collect) + 1


_DECL_BOUNDARY = {";", "begin", "end", "endfunction", "endtask", "endcase"}


def _checker_only_sites(toks: list[Tok], sites: list[_Site], other_reads: Counter) -> set[int]:
    """Indices of sites that only feed assertions (or nothing): their target is never read by
    the design outside its own assignments and declarations.  A mutant there changes a checker,
    not the design -- equivalent by construction, so it is not generated.  An always block whose
    every assignment is such a site loses its condition sites too."""
    targets: dict[int, str] = {}
    for n, s in enumerate(sites):
        if s.kind != "cond" and toks[s.first].kind == "ident":
            targets[n] = toks[s.first].text
    not_read: set[int] = set()
    for s in sites:
        if s.kind != "cond" and toks[s.first].kind == "ident":
            not_read.add(s.first)              # the assignment target itself
    j = 0
    while j < len(toks):                       # declarations: `logic a, b;` (initializers read)
        prev = toks[j - 1].text if j else ";"
        labelled = j >= 3 and toks[j - 2].text == ":" and toks[j - 3].text in ("begin", "end")
        if toks[j].text in _DECL_WORDS and (prev in _DECL_BOUNDARY or labelled):
            end = _scan_to(toks, j, {";"})
            init = False
            for k in range(j, end):
                init = init or toks[k].text == "="
                if not init:
                    not_read.add(k)
            j = end
        j += 1
    # Transitively: a signal read only by checker-only assignments (a helper term of an
    # assertion, e.g. p_le_max -> geometry_ok in masr_act_encoder) is checker-only too.
    dropped: set[int] = set()
    while True:
        inside = {k for n in dropped for k in range(sites[n].first, sites[n].last + 1)}
        reads = Counter(t.text for k, t in enumerate(toks)
                        if t.kind == "ident" and k not in not_read and k not in inside)
        reads.update(other_reads)
        more = {n for n, name in targets.items() if reads[name] == 0}
        if more <= dropped:
            break
        dropped |= more
    by_block: dict[int, list[int]] = defaultdict(list)
    for n, s in enumerate(sites):
        if s.block >= 0 and s.kind == "stmt":
            by_block[s.block].append(n)
    dead_blocks = {b for b, ns in by_block.items() if all(n in dropped for n in ns)}
    return dropped | {n for n, s in enumerate(sites) if s.kind == "cond" and s.block in dead_blocks}


def _binary_position(toks: list[Tok], j: int, first: int) -> bool:
    """Is toks[j] a binary operator (an operand ends right before it)?"""
    if j <= first:
        return False
    prev = toks[j - 1]
    return prev.kind in ("ident", "number") or prev.text in (")", "]", "}")


def _flip_constant(text: str) -> str | None:
    compact = text.replace(" ", "").replace("_", "")
    if compact in ("'0", "'1"):
        return "'1" if compact == "'0" else "'0"
    m = re.fullmatch(r"(\d+)'([sS]?[bBoOdDhH])([0-9a-fA-F]+)", compact)
    if m:
        value = int(m.group(3), {"b": 2, "o": 8, "d": 10, "h": 16}[m.group(2)[-1].lower()])
        if value in (0, 1):
            return f"{m.group(1)}'{m.group(2)}{1 - value}"
        return None
    if compact in ("0", "1"):
        return "1" if compact == "0" else "0"
    return None


def _token_mutations(toks: list[Tok], first: int, last: int) -> list[tuple[int, str, str]]:
    """(token index, replacement text, operator) for every one-token change in [first, last]."""
    out: list[tuple[int, str, str]] = []
    cast_width: set[int] = set()      # (W)'(x): the width W is a parameter expression
    for j in range(first, last + 1):
        if toks[j].text == "(" and _match(toks, j) + 1 < len(toks) and \
                toks[_match(toks, j) + 1].text == "'":
            cast_width.update(range(j, _match(toks, j) + 1))
    bracket = 0
    for j in range(first, last + 1):
        t = toks[j].text
        if t == "[":
            bracket += 1
        elif t == "]":
            bracket -= 1
        if bracket or j in cast_width:
            continue             # bit / part-select indices and cast widths are not logic
        if t in _REL_SWAP and _binary_position(toks, j, first):
            out.append((j, _REL_SWAP[t], "rel_boundary"))
        elif t in _ANDOR_SWAP and _binary_position(toks, j, first):
            out.append((j, _ANDOR_SWAP[t], "and_or"))
        elif t in _ARITH_SWAP and _binary_position(toks, j, first):
            out.append((j, _ARITH_SWAP[t], "arith"))
        elif toks[j].kind == "number":
            nxt = toks[j + 1].text if j + 1 < len(toks) else ""
            if nxt in ("'", "{"):
                continue         # a cast width or a replication count
            flipped = _flip_constant(t)
            if flipped is not None:
                out.append((j, flipped, "const"))
    return out


def _enclosed(toks: list[Tok], start: int, last: int):
    """(index, text, depth) from start to at most last, until the bracket that closes a group
    enclosing start; depth is relative to start (0 = the same level)."""
    depth = 0
    for j in range(start, last + 1):
        t = toks[j].text
        if t in _CLOSE:
            depth -= 1
            if depth < 0:
                return
        yield j, t, depth
        if t in _OPEN:
            depth += 1


def _mux_swaps(toks: list[Tok], first: int, last: int) -> list[tuple[int, int, int, int]]:
    """(true arm first, last, false arm first, last) of every ?: in [first, last]."""
    swaps = []
    for q in range(first, last + 1):
        if toks[q].text != "?":
            continue
        nested, colon = 0, -1
        for j, t, depth in _enclosed(toks, q + 1, last):
            if depth == 0 and t == "?":
                nested += 1
            elif depth == 0 and t == ":":
                if nested == 0:
                    colon = j
                    break
                nested -= 1
        if colon < 0:
            continue
        end = colon
        for j, t, depth in _enclosed(toks, colon + 1, last):
            if depth == 0 and t in (",", ";"):
                break
            end = j
        swaps.append((q + 1, colon - 1, colon + 1, end))
    return swaps


def _collapse(text: str) -> str:
    return " ".join(text.split())


@dataclass
class _Edit:
    start: int
    end: int
    text: str


def mutate_file(path: Path, next_id: int, skip_keys: frozenset[str] = frozenset(),
                top: str = TOP) -> tuple[str, list[Mutant]]:
    """The mutated text of one RTL file (selector declared in each module) and its mutants.

    Mutants whose key is in ``skip_keys`` (e.g. found invalid by a build) are not emitted and get
    no id.
    """
    src = path.read_text()
    conditional_reads: Counter = Counter()
    toks = tokenize(src, conditional_reads)
    parser = _Parser(toks)
    parser.parse()
    mutants: list[Mutant] = []
    edits: list[_Edit] = []

    def text_of(a: int, b: int, repl: dict[int, str] | None = None) -> str:
        """Tokens a..b on one line, comments dropped: copies of multi-line expressions must not
        add lines (the mutated file keeps the original line numbers) nor swallow code into a
        `//` comment."""
        repl = repl or {}
        parts = [repl.get(a, toks[a].text)]
        for j in range(a + 1, b + 1):
            gap = src[toks[j - 1].end:toks[j].start]
            parts.append(gap if gap.isspace() and "\n" not in gap or not gap else " ")
            parts.append(repl.get(j, toks[j].text))
        return "".join(parts)

    checker_only = _checker_only_sites(toks, parser.sites, conditional_reads)
    for n_site, site in enumerate(parser.sites):
        if n_site in checker_only:
            continue
        e_first, e_last = site.expr_first, site.expr_last
        expr = src[toks[e_first].start:toks[e_last].end]      # the original, verbatim
        base = toks[e_first].start
        variants: list[tuple[str, str, str]] = []     # (operator, change, mutated expression)
        for j, repl, op in _token_mutations(toks, e_first, e_last):
            variants.append((op, f"`{toks[j].text}` -> `{repl}`",
                             text_of(e_first, e_last, {j: repl})))
        for tf, tl, ff, fl in _mux_swaps(toks, e_first, e_last):
            true_arm, false_arm = text_of(tf, tl), text_of(ff, fl)
            parts = [text_of(e_first, tf - 1) if tf > e_first else "", f"({false_arm})",
                     text_of(tl + 1, ff - 1), f"({true_arm})",
                     text_of(fl + 1, e_last) if fl < e_last else ""]
            variants.append(("mux_swap", f"swap `{true_arm}` / `{false_arm}`",
                             " ".join(p for p in parts if p)))
        if site.kind == "cond":
            variants = [("cond_true", "condition -> `1'b1`", "1'b1"),
                        ("cond_false", "condition -> `1'b0`", "1'b0"), *variants]
        elif site.kind == "assign":
            # Zero as (E) ^ (E), not '0: an unsized '0 is unsigned and would turn the whole
            # selector chain (and so the original, selector 0) unsigned -- e.g. a signed product.
            zero = f"({text_of(e_first, e_last)}) ^ ({text_of(e_first, e_last)})"
            variants.insert(0, ("drop", "driven to 0", zero))
        elif site.nonblocking and not (e_first == e_last and toks[e_first].kind == "number"):
            # Only register updates with a computed value: dropping a reset / clear constant or
            # a combinational default mostly yields the same design, not a testbench question.
            variants.insert(0, ("drop", "assignment dropped", "'0"))
        whole = text_of(site.first, site.last)
        lines = (toks[site.first].line, toks[site.last].line)
        chosen: list[tuple[Mutant, str]] = []
        for op, change, mutated in variants:
            mut = Mutant(0, path.name, site.module, lines[0], lines, op, change,
                         _collapse(whole),
                         "(dropped)" if op == "drop" and site.kind == "stmt" else _collapse(mutated),
                         condition=site.kind == "cond")
            if mut.key in skip_keys:
                continue
            mut.id = next_id
            next_id += 1
            chosen.append((mut, mutated))
        if not chosen:
            continue
        mutants += [m for m, _ in chosen]
        chain = "".join(f"({SELECTOR} == {m.id}) ? ({text}) : " for m, text in chosen
                        if m.operator != "drop" or site.kind == "assign")
        dropped = [m for m, _ in chosen if m.operator == "drop" and site.kind == "stmt"]
        if site.kind == "cond":
            edits.append(_Edit(base, toks[e_last].end, f"{chain}({expr})"))
            continue
        new_expr = f"{chain}({expr})" if chain else expr
        if dropped:
            lhs_and_op = src[toks[site.first].start:base]
            guard = f"if ({SELECTOR} != {dropped[0].id}) "
            edits.append(_Edit(toks[site.first].start, toks[site.last].end,
                               f"begin {guard}{lhs_and_op}{new_expr}; end"))
        else:
            edits.append(_Edit(base, toks[e_last].end, new_expr))
    for end_idx, module in zip(parser.header_ends, parser.modules):
        # On the header's own line: the mutated file keeps the original line numbers.
        edits.append(_Edit(toks[end_idx].end, toks[end_idx].end, selector_decl(module, top)))
    out = src
    for ed in sorted(edits, key=lambda e: e.start, reverse=True):
        out = out[:ed.start] + ed.text + out[ed.end:]
    return out, mutants


SKIP_FILES = ("masr_pkg.sv",)


def mutate_tree(rtl: Path, out_dir: Path, skip_keys: frozenset[str] = frozenset()
                ) -> tuple[list[Path], list[Mutant]]:
    """Write the mutated copy of every RTL file to out_dir; returns (sources in compile order,
    mutants).  Ids are 1.. in file order; 0 is the unmutated design."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for header in rtl.glob("*.svh"):
        (out_dir / header.name).write_text(header.read_text())
    sources, mutants = [], []
    next_id = 1
    pkg = rtl / "masr_pkg.sv"
    first = [pkg] if pkg.exists() else []
    for path in [*first, *sorted(p for p in rtl.glob("*.sv") if p != pkg)]:
        target = out_dir / path.name
        if path.name in SKIP_FILES:
            target.write_text(path.read_text())
        else:
            text, found = mutate_file(path, next_id, skip_keys)
            target.write_text(text)
            mutants += found
            next_id += len(found)
        sources.append(target)
    return sources, mutants
