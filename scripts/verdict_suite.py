#!/usr/bin/env python3
"""The verdict-quality suite: every path that decides (compare with its
confirmation, gate, gate after calibrate, ab, bisect) against real code changes
in real kernels, on this machine, as a user runs them.

The changes are the engine's seeded regressions (engine/src/seed.rs), each a
commit that turns one `seed-*` cargo feature on by default, plus an A/A case
(the same commit), a no-op commit (a comment) and a layout-only commit
(`seed-layout`: unrelated code linked into the binary). They are made in a
scratch clone of HEAD; every binary is the clone's own `cargo build --release`,
and the baseline's smprof is built by smprof itself (its cache per commit and
toolchain), as for a user.

    python3 scripts/verdict_suite.py --trials 20            # everything (hours)
    python3 scripts/verdict_suite.py --trials 3 --paths gate,compare --cases aa,gelu-10

Writes a markdown table to stdout and DIR/verdicts.jsonl (one line per trial)
under --out (default reports/verdict-suite-<time>/). Needs a clean work tree.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

# Each case: the feature its commit turns on (None: A/A or a comment), the
# workloads and metric the change must be caught on, and the filter measured.
FAMILY = "gelu/*,softmax/*,tensor/add_10k,matmul/128"
# Cases that change nothing: the places whose decided change the table shows.
WATCH = ["gelu/1m", "softmax/2048"]
CASES = {
    "aa": {"feature": None, "expect": [], "filter": FAMILY},
    "noop": {"feature": "comment", "expect": [], "filter": FAMILY},
    "layout": {"feature": "seed-layout", "expect": [], "filter": FAMILY},
    "gelu-10": {"feature": "seed-gelu-10", "filter": FAMILY,
                "expect": [("gelu/100k", "time_ns"), ("gelu/1m", "time_ns")]},
    "gelu-5": {"feature": "seed-gelu-5", "filter": FAMILY,
               "expect": [("gelu/100k", "time_ns"), ("gelu/1m", "time_ns")]},
    "softmax-long": {"feature": "seed-softmax-long", "filter": FAMILY,
                     "expect": [("softmax/2048", "time_ns")]},
    "add-10": {"feature": "seed-add-10", "filter": FAMILY,
               "expect": [("tensor/add_10k", "time_ns")]},
    "gelu-alloc": {"feature": "seed-gelu-alloc", "filter": FAMILY,
                   "expect": [("gelu/1k", "alloc_bytes")]},
}
# The first root cause `compare` must name for each case (None: no finding at
# all): the finding's kind, the op it names, and for a size pattern its shape.
CAUSE = {
    "aa": None, "noop": None, "layout": None,
    "gelu-10": ("op_slower", "gelu", None), "gelu-5": ("op_slower", "gelu", None),
    "softmax-long": ("size_pattern", "softmax", "largest_only"),
    "add-10": ("op_slower", "add", None),
    "gelu-alloc": ("allocation", "gelu", None),
}


def first_cause(cmp):
    """(kind, op, pattern) of the comparison's first root cause, or None."""
    causes = cmp.get("root_causes") or []
    if not causes:
        return None
    f = causes[0]["finding"]
    pattern = f.get("pattern", {}).get("sizes") if f["kind"] == "size_pattern" else None
    op = f.get("op")
    return (f["kind"], op, pattern)


def cause_right(name, got):
    want = CAUSE[name]
    if want is None or got is None:
        return want == got
    kind, op, pattern = want
    # A size pattern of the op's family also names the op; an all-sizes change
    # may be reported as either (both point at the kernel's file).
    kinds = {kind} | ({"op_slower", "size_pattern"} if kind == "op_slower" else set())
    return got[0] in kinds and got[1] == op and (pattern is None or got[2] == pattern)


# Workloads a seed may legitimately move besides its expected ones (the same
# op at other sizes): a verdict there is neither a catch nor a false alarm.
SAME_OP = {
    "gelu-10": "gelu/", "gelu-5": "gelu/", "gelu-alloc": "gelu/",
    "softmax-long": "softmax/", "add-10": "tensor/add",
}


def sh(cmd, cwd, env=None, check=True, capture=True):
    r = subprocess.run(cmd, cwd=cwd, env=env, text=True,
                       stdout=subprocess.PIPE if capture else None,
                       stderr=subprocess.PIPE if capture else None)
    if check and r.returncode != 0:
        sys.exit(f"verdict_suite: {' '.join(map(str, cmd))} exited {r.returncode}:\n{r.stderr}")
    return r


def commit_case(repo, base, name, feature):
    """A branch `vq/NAME` off `base` whose one commit makes the case's change."""
    sh(["git", "checkout", "-q", "-B", f"vq/{name}", base], repo)
    if feature == "comment":
        p = repo / "engine/src/lib.rs"
        p.write_text(p.read_text() + "\n// A comment: a no-op change.\n")
    else:
        p = repo / "engine/Cargo.toml"
        text = p.read_text()
        assert "default = []" in text, "engine/Cargo.toml lost its `default = []`"
        p.write_text(text.replace("default = []", f'default = ["{feature}"]', 1))
    sh(["git", "commit", "-qam", f"verdict suite: {name}"], repo)
    return sh(["git", "rev-parse", "HEAD"], repo).stdout.strip()


def bisect_chain(repo, base, feature, length, bad_at):
    """`length` commits off `base`, commit number `bad_at` (1-based) seeded, the
    others comments; the seed stays on after it. Returns the shas."""
    sh(["git", "checkout", "-q", "-B", "vq/bisect", base], repo)
    shas = []
    for i in range(1, length + 1):
        if i == bad_at:
            p = repo / "engine/Cargo.toml"
            p.write_text(p.read_text().replace("default = []", f'default = ["{feature}"]', 1))
        else:
            p = repo / "profiler/src/lib.rs"
            p.write_text(p.read_text() + f"\n// bisect chain commit {i}\n")
        sh(["git", "commit", "-qam", f"chain {i}" + (" (seeded)" if i == bad_at else "")], repo)
        shas.append(sh(["git", "rev-parse", "HEAD"], repo).stdout.strip())
    return shas


class Suite:
    def __init__(self, args):
        self.args = args
        self.src = Path(sh(["git", "rev-parse", "--show-toplevel"], Path.cwd()).stdout.strip())
        if sh(["git", "status", "--porcelain", "--untracked-files=no"], self.src).stdout.strip():
            sys.exit("verdict_suite: commit or stash first (the suite clones HEAD)")
        self.work = Path(args.work)
        self.repo = self.work / "repo"
        self.bins = self.work / "bin"
        self.out = Path(args.out or self.src / "reports" / time.strftime("verdict-suite-%Y%m%d-%H%M%S"))
        self.out.mkdir(parents=True, exist_ok=True)
        self.log = open(self.out / "verdicts.jsonl", "a")
        self.env = dict(os.environ, NO_COLOR="1", SMPROF_BASELINES=str(self.work / "baselines"),
                        CARGO_TARGET_DIR=str(self.work / "target"))

    def prepare(self):
        state = self.work / "state.json"
        if self.args.keep and state.exists():
            # The same scratch clone and commits as last time: their builds are reused.
            st = json.loads(state.read_text())
            self.base, self.heads, self.chain = st["base"], st["heads"], st.get("chain", [])
            missing = [c for c in self.args.cases if c not in self.heads]
            if not missing and ("bisect" not in self.args.paths or self.chain):
                return
            sys.exit(f"verdict_suite: --keep: the kept clone lacks {missing or 'the bisect chain'}")
        if self.repo.exists():
            shutil.rmtree(self.repo)
        self.bins.mkdir(parents=True, exist_ok=True)
        sh(["git", "clone", "-q", str(self.src), str(self.repo)], self.work)
        sh(["git", "config", "user.email", "suite@example.invalid"], self.repo)
        sh(["git", "config", "user.name", "verdict suite"], self.repo)
        # smprof's own build cache (baselines of other commits) shares the target
        # directory, so registry crates compile once.
        (self.repo / ".git/smprof").mkdir(parents=True, exist_ok=True)
        (self.work / "target").mkdir(parents=True, exist_ok=True)
        link = self.repo / ".git/smprof/target"
        if not link.exists():
            link.symlink_to(self.work / "target")
        self.base = sh(["git", "rev-parse", "HEAD"], self.repo).stdout.strip()
        self.heads = {"aa": self.base}
        for name in self.args.cases:
            if CASES[name]["feature"]:
                self.heads[name] = commit_case(self.repo, self.base, name, CASES[name]["feature"])
        self.chain = []
        if "bisect" in self.args.paths:
            self.chain = bisect_chain(self.repo, self.base, "seed-gelu-10",
                                      self.args.chain, self.args.bad_at)
        state.write_text(json.dumps({"base": self.base, "heads": self.heads, "chain": self.chain}))

    def binary(self, sha):
        """The clone's smprof at `sha` (release), built once."""
        dest = self.bins / sha / "smprof"
        if not dest.exists():
            sh(["git", "checkout", "-q", sha], self.repo)
            print(f"building smprof at {sha[:10]}", file=sys.stderr)
            sh(["cargo", "build", "--release", "-q", "-p", "smprof"], self.repo, self.env)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(self.work / "target/release/smprof", dest)
        return dest

    def run_at(self, sha, filt, out):
        """`smprof run --quick` of the commit checked out, as a user runs it."""
        sh(["git", "checkout", "-q", sha], self.repo)
        sh([str(self.binary(sha)), "run", "--quick", "--filter", filt, "--no-save",
            "--out", str(out)], self.repo, self.env)

    def record(self, row):
        self.log.write(json.dumps(row) + "\n")
        self.log.flush()
        print(json.dumps(row), file=sys.stderr)

    def flagged(self, name, regressions):
        """(caught, false alarms) from the regressed (workload, metric) pairs."""
        expect = set(CASES[name]["expect"])
        same = SAME_OP.get(name)
        # Caught: the change is flagged where it must show (any expected place).
        caught = bool(expect) and any(e in regressions for e in expect)
        false = [r for r in regressions
                 if r not in expect and not (same and r[0].startswith(same))]
        return caught, false

    def effects(self, name, verdicts):
        """The decided change of each place the case's change must show, so the
        table states how big each seeded change measured (not how big it was meant)."""
        expect = set(CASES[name]["expect"]) or {(w, "time_ns") for w in WATCH}
        return {f"{v['workload']} {v['metric']}": round(v["change"], 4) for v in verdicts
                if (v["workload"], v["metric"]) in expect and v.get("change") is not None}

    def trial_compare_or_gate(self, path, name, k, label=None):
        head = self.heads[name]
        filt = CASES[name]["filter"]
        t = self.work / "t"
        t.mkdir(exist_ok=True)
        self.run_at(self.base, filt, t / "base.json")
        self.run_at(head, filt, t / "head.json")
        sh(["git", "checkout", "-q", head], self.repo)
        exe = str(self.binary(head))
        t0 = time.time()
        if path == "compare":
            r = sh([exe, "compare", "--baseline", str(t / "base.json"), "--current",
                    str(t / "head.json"), "--format", "json", "--no-reports"],
                   self.repo, self.env, check=False)
            secs = time.time() - t0
            cmp = json.loads(r.stdout) if r.returncode == 0 else {"verdicts": []}
            regs = {(v["workload"], v["metric"]) for v in cmp["verdicts"] if v["verdict"] == "regression"}
            imps = {(v["workload"], v["metric"]) for v in cmp["verdicts"] if v["verdict"] == "improvement"}
            inc = {(v["workload"], v["metric"]) for v in cmp["verdicts"] if v["verdict"] == "inconclusive"}
            code = r.returncode
            cause = first_cause(cmp)
        else:
            r = sh([exe, "gate", "--baseline", str(t / "base.json"), "--current",
                    str(t / "head.json"), "--format", "json"], self.repo, self.env, check=False)
            secs = time.time() - t0
            try:
                g = json.loads(r.stdout)
                d = g["decision"]
                cmp = g.get("comparison", {"verdicts": []})
            except (json.JSONDecodeError, KeyError):
                d = {"failures": [], "inconclusive": []}
                cmp = {"verdicts": []}
            regs = {(f["workload"], f["metric"]) for f in d["failures"]
                    if f.get("confirmation") is None or f["confirmation"]["held"]}
            imps, inc = set(), {tuple(s.split(" ")) for s in d.get("inconclusive", [])}
            code = r.returncode
            cause = None
        caught, false = self.flagged(name, regs)
        self.record({"path": label or path, "case": name, "trial": k, "exit": code, "caught": caught,
                     "false_regressions": sorted(map(list, false)),
                     "improvements": sorted(map(list, imps)), "inconclusive": sorted(map(list, inc)),
                     "regressions": {f"{v['workload']} {v['metric']}": round(v["change"], 4)
                                     for v in cmp["verdicts"] if (v["workload"], v["metric"]) in regs
                                     and v.get("change") is not None},
                     "effects": self.effects(name, cmp["verdicts"]),
                     "seconds": round(secs, 1), "stderr_tail": r.stderr[-300:] if code not in (0, 1, 3) else "",
                     **({"first_cause": cause, "cause_right": cause_right(name, cause)}
                        if path == "compare" else {})})

    def trial_ab(self, name, k):
        head = self.heads[name]
        sh(["git", "checkout", "-q", head], self.repo)
        exe = str(self.binary(head))
        t0 = time.time()
        r = sh([exe, "ab", "--base", self.base, "--head", head, "--filter", CASES[name]["filter"],
                "--format", "json"], self.repo, self.env, check=False)
        secs = time.time() - t0
        cmp = json.loads(r.stdout) if r.stdout.strip().startswith("{") else {"verdicts": []}
        regs = {(v["workload"], v["metric"]) for v in cmp["verdicts"] if v["verdict"] == "regression"}
        imps = {(v["workload"], v["metric"]) for v in cmp["verdicts"] if v["verdict"] == "improvement"}
        caught, false = self.flagged(name, regs)
        self.record({"path": "ab", "case": name, "trial": k, "exit": r.returncode, "caught": caught,
                     "false_regressions": sorted(map(list, false)), "improvements": sorted(map(list, imps)),
                     "inconclusive": sorted((v["workload"], v["metric"]) for v in cmp["verdicts"]
                                            if v["verdict"] == "inconclusive"),
                     "effects": self.effects(name, cmp["verdicts"]),
                     "seconds": round(secs, 1), "stderr_tail": r.stderr[-300:] if r.returncode not in (0, 1, 3) else ""})

    def trial_bisect(self, k, aa=False):
        """The chain from the base (good) to its tip; with `aa`, from the seeded commit
        to the tip, a range every commit of which carries the seed: no regression, so
        the right answer is "nothing to bisect" and naming a commit is a false verdict."""
        bad = self.chain[-1]
        good = self.chain[self.args.bad_at - 1] if aa else self.base
        sh(["git", "checkout", "-q", bad], self.repo)
        exe = str(self.binary(bad))
        t0 = time.time()
        r = sh([exe, "bisect", "--workload", "gelu/1m", "--good", good, "--bad", bad],
               self.repo, self.env, check=False)
        secs = time.time() - t0
        m = re.search(r"first bad commit: ([0-9a-f]{40})", r.stdout)
        b = re.search(r"(\d+) builds for (\d+) commits", r.stdout)
        if aa:
            right = m is None and "nothing to bisect" in r.stdout
        else:
            right = bool(m and m.group(1) == self.chain[self.args.bad_at - 1])
        commits = len(self.chain) - self.args.bad_at + 1 if aa else len(self.chain) + 1
        self.record({"path": "bisect", "case": "aa chain" if aa else "gelu-10 chain", "trial": k,
                     "exit": r.returncode, "named": m.group(1) if m else None, "right": right,
                     "builds": int(b.group(1)) if b else None, "commits": commits,
                     "seconds": round(secs, 1)})

    def main(self):
        self.prepare()
        if self.args.prepare_only:
            # Every binary the trials will use, built now (e.g. before a quiet spell).
            for sha in dict.fromkeys([self.base, *self.heads.values(), *self.chain[-1:]]):
                self.binary(sha)
            return
        for path in self.args.paths:
            if path == "bisect":
                for aa in [c == "aa" for c in self.args.cases if c in ("aa", "gelu-10")]:
                    for k in range(self.args.trials):
                        self.trial_bisect(k, aa)
                continue
            if path == "gate-calibrated":
                sh(["git", "checkout", "-q", self.base], self.repo)
                sh([str(self.binary(self.base)), "calibrate", "--runs", "3", "--quick",
                    "--filter", FAMILY], self.repo, self.env)
            for name in self.args.cases:
                for k in range(self.args.trials):
                    if path == "ab":
                        self.trial_ab(name, k)
                    else:
                        self.trial_compare_or_gate("gate" if path.startswith("gate") else path,
                                                   name, k, label=path)
            if path == "gate-calibrated":
                # The floors apply to this path only.
                shutil.rmtree(self.work / "baselines" / "noise", ignore_errors=True)
        self.log.close()
        print(table(self.out / "verdicts.jsonl"))


def effect_cell(rows):
    """Per place: the median and range of the decided change over the trials."""
    per = {}
    for r in rows:
        for k, v in r.get("effects", {}).items():
            per.setdefault(k, []).append(v)
    parts = []
    for k, vs in sorted(per.items()):
        vs.sort()
        parts.append(f"{k.split(' ')[0]} {vs[len(vs)//2]*100:+.1f} % [{vs[0]*100:+.1f}, {vs[-1]*100:+.1f}]")
    return "; ".join(parts) or "–"


def table(path):
    rows = [json.loads(l) for l in open(path)]
    cells = {}
    for r in rows:
        cells.setdefault((r["path"], r["case"]), []).append(r)
    out = ["| path | case | trials | caught | false regressions | improvements | inconclusive | first root cause right | decided change (median [range]) | median s |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for (p, c), rs in sorted(cells.items()):
        secs = sorted(r["seconds"] for r in rs)
        if p == "bisect":
            right = sum(r["right"] for r in rs)
            builds = max((r["builds"] or 0) for r in rs)
            if c == "aa chain":
                false = sum(1 for r in rs if r["named"])
                out.append(f"| bisect | {c} | {len(rs)} | – | {false}/{len(rs)} (nothing to bisect: {right}/{len(rs)}) | – | – | – | – | {secs[len(secs)//2]} |")
            else:
                out.append(f"| bisect | {c} | {len(rs)} | named {right}/{len(rs)}, ≤ {builds} builds | – | – | – | – | – | {secs[len(secs)//2]} |")
            continue
        caught = sum(r["caught"] for r in rs) if CASES[c]["expect"] else "–"
        false = sum(1 for r in rs if r["false_regressions"])
        imps = sum(1 for r in rs if r.get("improvements"))
        inc = sum(1 for r in rs if r.get("inconclusive"))
        judged = [r for r in rs if "cause_right" in r]
        cause = f"{sum(r['cause_right'] for r in judged)}/{len(judged)}" if judged else "–"
        out.append(f"| {p} | {c} | {len(rs)} | {caught}{'/' + str(len(rs)) if caught != '–' else ''} | "
                   f"{false}/{len(rs)} | {imps}/{len(rs)} | {inc}/{len(rs)} | {cause} | {effect_cell(rs)} | "
                   f"{secs[len(secs)//2]} |")
    return "\n".join(out)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--paths", default="compare,gate,gate-calibrated,ab,bisect",
                    type=lambda s: s.split(","))
    ap.add_argument("--cases", default=",".join(CASES), type=lambda s: s.split(","))
    ap.add_argument("--chain", type=int, default=8, help="commits in the bisect range")
    ap.add_argument("--bad-at", type=int, default=5, help="the seeded commit of the chain")
    ap.add_argument("--work", default="/tmp/smprof-verdict-suite")
    ap.add_argument("--out")
    ap.add_argument("--keep", action="store_true",
                    help="reuse the scratch clone, commits and builds of the last call")
    ap.add_argument("--table", help="only print the table of an earlier verdicts.jsonl")
    ap.add_argument("--prepare-only", action="store_true",
                    help="make the commits and build every binary, then stop (use --keep next)")
    a = ap.parse_args()
    if a.table:
        print(table(Path(a.table)))
        sys.exit(0)
    for c in a.cases:
        if c not in CASES:
            sys.exit(f"verdict_suite: unknown case {c} (known: {', '.join(CASES)})")
    Suite(a).main()
