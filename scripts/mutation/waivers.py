"""Waivers against the RTL they were written for.

A waiver names a mutant by key, and the key hashes the mutated statement *and its line*
(generate.Mutant.key). An RTL edit that only moves a waived statement therefore leaves a waiver
that matches nothing, and its mutant comes back as a survivor with no explanation. Two tools:

- stale_waivers: waiver keys that no mutant of today's rtl/ carries (tests fail on any);
- rekey_moved: follow each stale waiver to the mutant of today's RTL with the same file, module,
  operator, statement and change, if exactly one exists, or the one in the same position among
  equally many copies (the statement moved, its text did not); also a waiver whose key still
  exists but now belongs to another copy of its statement (a copy moved onto the waived line:
  same text, same line, same key), found by the copies' order,
  and rewrite only the key in the waivers file. Whoever runs it re-reads the carried reasons:
  the text of the statement is unchanged, the logic around it may not be.
"""
from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

from mutation.generate import Mutant, mutate_tree

REPO = Path(__file__).resolve().parents[2]


def mutants_of(rtl: Path) -> list[Mutant]:
    with tempfile.TemporaryDirectory() as tmp:
        return mutate_tree(rtl, Path(tmp))[1]


def mutants_at(rev: str, repo: Path = REPO) -> list[Mutant]:
    """Mutants of rtl/ as it was at git revision rev."""
    with tempfile.TemporaryDirectory() as tmp:
        files = subprocess.run(["git", "-C", str(repo), "ls-tree", "--name-only", rev, "rtl/"],
                               check=True, capture_output=True, text=True).stdout.split()
        for name in files:
            blob = subprocess.run(["git", "-C", str(repo), "show", f"{rev}:{name}"],
                                  check=True, capture_output=True).stdout
            (Path(tmp) / Path(name).name).write_bytes(blob)
        return mutants_of(Path(tmp))


def stale_waivers(waiver_keys: set[str], mutants: list[Mutant]) -> list[str]:
    have = {m.key for m in mutants}
    return sorted(k for k in waiver_keys if k not in have)


def _identity(m: Mutant) -> tuple[str, ...]:
    return (m.file, m.module, m.operator, m.original, m.mutated, m.change)


def _copies(mutants: list[Mutant]) -> dict[tuple[str, ...], list[Mutant]]:
    """Mutants grouped by identity (file, module, operator, statement, change), in line order."""
    groups: dict[tuple[str, ...], list[Mutant]] = {}
    for m in sorted(mutants, key=lambda m: (m.file, m.line)):
        groups.setdefault(_identity(m), []).append(m)
    return groups


def moved_keys(stale: list[str], old: list[Mutant], new: list[Mutant]) -> dict[str, Mutant]:
    """{old key: new mutant} for stale keys whose statement only moved: it exists exactly once
    in the new RTL, or as often as in the old RTL, where the k-th old occurrence (in line order)
    is taken to be the k-th new one (an edit that adds or removes a copy of the statement
    changes the count and retires the waiver instead)."""
    by_key = {m.key: m for m in old}
    old_groups, new_groups = _copies(old), _copies(new)
    out = {}
    for key in stale:
        if key in by_key:
            ident = _identity(by_key[key])
            was, now = old_groups[ident], new_groups.get(ident, [])
            if len(now) == 1:
                out[key] = now[0]
            elif now and len(now) == len(was):
                out[key] = now[[m.key for m in was].index(key)]
    return out


def shifted_keys(keys: set[str], old: list[Mutant], new: list[Mutant]) -> dict[str, Mutant]:
    """{key: new mutant} for keys that exist in both RTLs but name different copies of a
    repeated statement: the k-th copy (in line order) at the old revision, another one now,
    with as many copies in both. The waiver meant the k-th copy; the key now hashes another."""
    by_key = {m.key: m for m in old}
    now_keys = {m.key for m in new}
    old_groups, new_groups = _copies(old), _copies(new)
    out = {}
    for key in keys:
        if key in by_key and key in now_keys:
            ident = _identity(by_key[key])
            was, now = old_groups[ident], new_groups[ident]
            k = [m.key for m in was].index(key)
            if len(was) == len(now) and now[k].key != key:
                out[key] = now[k]
    return out


def rekey_file(path: Path, mapping: dict[str, Mutant]) -> int:
    """Rewrite the keys (and the file:line in the entry's `mutant:` text) in the waivers file;
    returns how many were rewritten."""
    text = path.read_text()
    count = 0
    for old, new in mapping.items():
        pattern = rf'(key:\s*"){re.escape(old)}("\s*\n\s*mutant:\s*"{re.escape(new.file)}:)\d+'
        text, n = re.subn(pattern, rf"\g<1>{new.key}\g<2>{new.line}", text)
        if n == 0:  # an entry without a leading `mutant:` text: the key alone
            text, n = re.subn(rf'(key:\s*"){re.escape(old)}(")', rf"\g<1>{new.key}\g<2>", text)
        count += n
    path.write_text(text)
    return count
