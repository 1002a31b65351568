#!/usr/bin/env python3
"""The crate's own import graph, from the `crate::`, `super::` and `self::` paths in src/ (test code left out).

Prints every import circle (a strongly connected component of more than one file) with its members, and
every import that goes up the layers (a lower layer naming a higher one). Layers, lowest first:

    schema      the data contracts (std and serde only)
    adapters    what reads and writes the outside world: files, datasets, images, score files, runtime
    pipeline    detect -> crop -> model -> score, quality, policy, sessions, the scoring run
    evaluation  metrics, calibration, diff, gate over presentations
    report      run-folder reports
    commands    one module per subcommand: clap structs in, domain options out, once
    cli         clap definitions (they name domain types for parsing)
    root        lib.rs and main.rs

`--check` exits 1 when there are more than 2 circles, a circle spanning two folders, or an upward import;
`tests/architecture.rs` runs it that way. `--dot` prints the file graph in Graphviz form instead.
"""

import os
import re
import sys
from collections import defaultdict

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")

LAYERS = ["schema", "adapters", "pipeline", "evaluation", "report", "cli", "commands", "root"]
# Top-level module -> layer. A module missing here is an error (a new module must say where it sits).
LAYER_OF = {
    "schema": "schema",
    "frame": "adapters",
    "runtime": "adapters",
    "stats": "adapters",
    "escape": "adapters",
    "input": "adapters",
    "dataset": "adapters",
    "decode": "adapters",
    "scorefile": "adapters",
    "detect": "pipeline",
    "crop": "pipeline",
    "model": "pipeline",
    "landmarks": "pipeline",
    "recognition": "pipeline",
    "gallery": "pipeline",
    "quality": "pipeline",
    "policy": "pipeline",
    "score": "pipeline",
    "run": "pipeline",
    "api": "pipeline",  # a remote scorer of a run: beside the local engine
    "session": "pipeline",
    "metrics": "evaluation",
    "scoreset": "evaluation",
    "calibrate": "evaluation",
    "diff": "evaluation",
    "fusion": "evaluation",
    "gate": "evaluation",
    "report": "report",
    "serve": "report",  # the HTTP front end: like the reports, a consumer of the pipeline's results
    "commands": "commands",
    "cli": "cli",
    "lib": "root",
    "main": "root",
    "test_support": "adapters",
}


def module_files():
    """Module path (tuple of names) -> file, for every .rs file under src/."""
    mods = {}
    for root, _, files in os.walk(SRC):
        for f in files:
            if not f.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(root, f), SRC)
            parts = rel[:-3].split(os.sep)
            if parts[-1] == "mod":
                parts = parts[:-1]
            if parts == ["lib"]:
                parts = []
            mods[tuple(parts)] = rel
    return mods


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def strip_test_blocks(text):
    """Removes `#[cfg(test)]` items (inline test modules, test-only uses and declarations)."""
    out, i = [], 0
    for m in re.finditer(r"#\[cfg\(test\)\]", text):
        if m.start() < i:
            continue
        out.append(text[i : m.start()])
        j = m.end()
        # the item ends at the first `;` before any `{`, or at the matching `}`
        depth, k = 0, j
        while k < len(text):
            c = text[k]
            if c == ";" and depth == 0:
                k += 1
                break
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    k += 1
                    break
            k += 1
        i = k
    out.append(text[i:])
    return "".join(out)


def test_only_files(mods):
    """Files declared as `#[cfg(test)] mod x;` (sibling test files and test helpers)."""
    tests = set()
    for path, rel in mods.items():
        text = strip_comments(open(os.path.join(SRC, rel)).read())
        for m in re.finditer(r"#\[cfg\(test\)\]\s*(?:pub(?:\([a-z]+\))?\s+)?mod\s+(\w+)\s*;", text):
            child = path + (m.group(1),)
            if child in mods:
                tests.add(mods[child])
    # a test-only file's own children are test-only too
    return {rel for p, rel in mods.items() if any(mods.get(p[:n]) in tests for n in range(1, len(p) + 1))}


def expand_use(tree):
    """`a::{b, c::{d, e}}` -> ["a::b", "a::c::d", "a::c::e"]."""
    tree = re.sub(r"\s+", "", re.sub(r"\s+as\s+\w+", "", tree))
    out = []

    def walk(prefix, s):
        depth, start, parts = 0, 0, []
        for i, c in enumerate(s):
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            elif c == "," and depth == 0:
                parts.append(s[start:i])
                start = i + 1
        parts.append(s[start:])
        for p in parts:
            if not p:
                continue
            b = p.find("{")
            if b >= 0:
                walk(prefix + p[:b], p[b + 1 : p.rfind("}")])
            else:
                out.append(prefix + p)

    walk("", tree)
    return out


def paths_in(text):
    """Every `crate::`/`super::`/`self::` path named in `text` (use trees expanded)."""
    found = []
    for m in re.finditer(r"\buse\s+((?:crate|super|self)::[^;]*);", text):
        found.extend(expand_use(m.group(1)))
    text = re.sub(r"\buse\s+[^;]*;", "", text)
    found.extend(m.group(0) for m in re.finditer(r"\b(?:crate|super|self)(?:::(?:super|\w+))+", text))
    return found


def resolve(path, here, mods):
    """The module file a path points into: the longest module prefix of the absolute path."""
    parts = path.split("::")
    if parts[0] == "crate":
        base, rest = [], parts[1:]
    else:
        base = list(here)
        rest = parts
        while rest and rest[0] in ("super", "self"):
            if rest[0] == "super":
                base = base[:-1]
            rest = rest[1:]
    full = base + [p for p in rest if p != "*"]
    for n in range(len(full), -1, -1):
        if tuple(full[:n]) in mods:
            return mods[tuple(full[:n])]
    return None


def graph():
    mods = module_files()
    tests = test_only_files(mods)
    edges = defaultdict(set)
    for path, rel in mods.items():
        if rel in tests:
            continue
        text = strip_test_blocks(strip_comments(open(os.path.join(SRC, rel)).read()))
        for p in paths_in(text):
            target = resolve(p, path, mods)
            if target and target != rel and target not in tests:
                edges[rel].add(target)
    nodes = sorted(r for r in mods.values() if r not in tests)
    return nodes, edges


def sccs(nodes, edges):
    """Tarjan's strongly connected components with more than one member."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in nodes:
        if v not in index:
            visit(v)
    return sorted(out, key=lambda c: (-len(c), c))


def top(rel):
    first = rel.split(os.sep)[0]
    return first[:-3] if first.endswith(".rs") else first


def folder(rel):
    return os.path.dirname(rel) or "."


def main():
    nodes, edges = graph()
    if "--dot" in sys.argv:
        print("digraph imports {")
        for a in nodes:
            for b in sorted(edges.get(a, ())):
                print(f'  "{a}" -> "{b}";')
        print("}")
        return 0
    problems = []
    unknown = sorted({top(n) for n in nodes if top(n) not in LAYER_OF})
    for u in unknown:
        problems.append(f"module `{u}` has no layer in scripts/import-graph.py")
    circles = sccs(nodes, edges)
    print(f"{len(nodes)} files, {sum(len(v) for v in edges.values())} imports, {len(circles)} circle(s)")
    for c in circles:
        folders = sorted({folder(m) for m in c})
        print(f"circle of {len(c)} in {', '.join(folders)}: {' '.join(c)}")
        if len(folders) > 1:
            problems.append(f"circle spans folders {folders}")
    if len(circles) > 2:
        problems.append(f"{len(circles)} circles (at most 2 allowed)")
    upward = []
    for a in nodes:
        for b in sorted(edges.get(a, ())):
            la, lb = LAYER_OF.get(top(a)), LAYER_OF.get(top(b))
            if la and lb and LAYERS.index(lb) > LAYERS.index(la):
                upward.append(f"{a} ({la}) -> {b} ({lb})")
    print(f"{len(upward)} upward import(s)")
    for u in upward:
        print(f"upward: {u}")
    problems.extend(f"upward import {u}" for u in upward)
    if "--check" in sys.argv and problems:
        for p in problems:
            print(f"FAIL: {p}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
