#!/usr/bin/env python3
"""Make the small GPT-2 fixture of engine/tests/gpt2.rs with Hugging Face transformers.

A GPT-2 checkpoint is created with transformers, trained briefly on a short paragraph so that its
greedy choices are decisive, saved with transformers' own `save_pretrained` (safetensors), and its
reference outputs (logits at every prompt position, greedy continuation) are written beside it.

usage:  python3 scripts/make_gpt2_fixture.py engine/tests/fixtures/gpt2-tiny
        (defaults: --embd 64 --layers 2 --heads 4 --positions 64 --steps 2000 --seed 0)
writes: OUT/config.json, OUT/generation_config.json, OUT/model.safetensors (save_pretrained),
        OUT/reference.json (see engine/tests/fixtures/gpt2-tiny/README.md).

It installs what it needs itself: unless the pinned versions below are importable already, it makes a
virtual environment (default ~/.cache/smallmind/gpt2-fixture-venv, or --venv DIR), installs the pins
from PyPI into it with pip, and runs itself again inside it.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import venv

# The versions that made the committed fixture.
PINS = {"torch": "2.15.0", "transformers": "5.23.0", "safetensors": "0.8.0"}

TEXT = (
    "SmallMind measures every kernel before and after each change. A matrix product that slows down "
    "is found by its numbers, not by a guess. The profiler runs the workloads, keeps a baseline for each "
    "commit, and writes a report that says what regressed, what improved, and what is only noise. "
)


def args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", help="output directory (created)")
    ap.add_argument("--embd", type=int, default=64)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--positions", type=int, default=64)
    ap.add_argument("--untied", action="store_true", help="store a separate lm_head.weight")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--prompt", default="The profiler runs")
    ap.add_argument("--new-tokens", type=int, default=25)
    ap.add_argument("--decimals", type=int, default=6, help="logits are rounded to this many decimals")
    ap.add_argument("--venv", default=str(pathlib.Path.home() / ".cache/smallmind/gpt2-fixture-venv"),
                    help="virtual environment to install the pinned packages into when they are missing")
    return ap.parse_args()


def pins_importable():
    """True when every pinned package is importable at exactly its pinned version."""
    from importlib import metadata
    try:
        return all(metadata.version(name) == version for name, version in PINS.items())
    except metadata.PackageNotFoundError:
        return False


def ensure_environment(venv_dir):
    """Run this script again inside a virtual environment holding the pins, unless they are here already."""
    if pins_importable():
        return
    if os.environ.get("SMALLMIND_FIXTURE_VENV_ACTIVE"):
        sys.exit(f"error: the pinned packages {PINS} are still not importable inside {venv_dir}")
    venv_dir = pathlib.Path(venv_dir)
    python = venv_dir / "bin" / "python"
    if not python.exists():
        print(f"creating the virtual environment {venv_dir}", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(venv_dir)
    pins = [f"{name}=={version}" for name, version in PINS.items()]
    print(f"pip install {' '.join(pins)} into {venv_dir}", file=sys.stderr)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", *pins], check=True)
    env = dict(os.environ, SMALLMIND_FIXTURE_VENV_ACTIVE="1")
    sys.exit(subprocess.run([str(python), *sys.argv], env=env).returncode)


def make(a):
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    # One thread and deterministic kernels: the same command makes the same files.
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(a.seed)
    cfg = GPT2Config(vocab_size=256, n_positions=a.positions, n_embd=a.embd, n_layer=a.layers, n_head=a.heads,
                     activation_function="gelu_new", resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                     tie_word_embeddings=not a.untied, bos_token_id=0, eos_token_id=0)
    model = GPT2LMHeadModel(cfg)
    data = torch.tensor(list(TEXT.encode()), dtype=torch.long)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr)
    ctx = min(a.positions, 48)
    model.train()
    for step in range(a.steps):
        # Linear warm-up over 30 steps, then constant.
        for g in opt.param_groups:
            g["lr"] = a.lr * min(1.0, (step + 1) / 30)
        ix = torch.randint(0, len(data) - ctx - 1, (16,))
        x = torch.stack([data[i:i + ctx] for i in ix])
        out = model(x, labels=x)
        opt.zero_grad()
        out.loss.backward()
        opt.step()
    model.eval()

    out_dir = pathlib.Path(a.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir, safe_serialization=True)
    prompt = list(a.prompt.encode())
    ids = torch.tensor([prompt])
    with torch.no_grad():
        logits = model(ids).logits[0]
        gen = model.generate(ids, max_new_tokens=a.new_tokens, do_sample=False, pad_token_id=0,
                             attention_mask=torch.ones_like(ids))[0].tolist()
        # The gap between the best and second-best logit at each greedy step: how decisive it is.
        full = model(torch.tensor([gen])).logits[0]
        top2 = torch.topk(full[len(prompt) - 1:-1], 2).values
        margins = (top2[:, 0] - top2[:, 1]).tolist()
    ref = {
        "tokenizer": "byte-level: token id = byte value (0..255)",
        "config": {"n_embd": a.embd, "n_layer": a.layers, "n_head": a.heads, "n_positions": a.positions,
                   "vocab_size": 256, "tied_lm_head": not a.untied, "activation": "gelu_new (tanh approximation)",
                   "layer_norm_epsilon": cfg.layer_norm_epsilon},
        "versions": {name: __import__(name).__version__ for name in PINS},
        "seed": a.seed,
        "train_steps": a.steps,
        "final_train_loss": out.loss.item(),
        "prompt_text": a.prompt,
        "prompt_ids": prompt,
        "prompt_logits": [[round(v, a.decimals) for v in row] for row in logits.tolist()],
        "greedy_new_ids": gen[len(prompt):],
        "greedy_text": bytes(gen[len(prompt):]).decode("utf-8", "replace"),
        "greedy_min_margin": min(margins),
        "parameter_count": sum(p.numel() for p in model.parameters()),
    }
    # Compact rows (one per prompt position) keep the file small and still readable.
    body = ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in ref.items())
    tmp = out_dir / "reference.json.tmp"
    tmp.write_text("{\n" + body + "\n}\n")
    tmp.replace(out_dir / "reference.json")
    print(json.dumps({k: v for k, v in ref.items() if k != "prompt_logits"}, indent=1))


def main():
    a = args()
    ensure_environment(a.venv)
    make(a)


if __name__ == "__main__":
    main()
