"""Measure the checking engine on public labeled Indonesian data (an outside yardstick).

Usage: .venv/bin/python eval/evaluate.py [--split dev|report] [--limit N] [--data-dir DIR]
       [--errors N]  (dev split only: print N missed and N false hits per rule)

The data lives in `shared/data` beside the repository and is never copied into the project:
its licenses allow measuring, not redistributing or deriving lists (see each SOURCE.md).

Label -> rule mappings (a row is positive for a rule when any listed label is 1):
  sara_hate          <- ibrohim2019 HS_Religion | HS_Race | HS_Group; netifier `sara`
  insult_defamation  <- ibrohim2019 Abusive | HS_Individual; netifier `pencemaran_nama_baik`
  pornography        <- netifier `pornografi`
  radicalism_terrorism <- netifier `radikalisme`
  gambling           <- judol-youtube `label`
  hoax | known_hoax  <- id-false-news-kaggle `label` (1 = hoax) on the `narasi` text. The hoax
                        database is whatever the config holds, never these claims, so recall
                        is the generic `hoax` rule's: expect it to be low.
  sms-spam-id is not mapped to a rule (fraud is not extortion): the "any violation" rate is
  reported per SMS label, and on normal and promo SMS it is a false-positive check.
A prediction is the rule id in `CheckResult.rule_ids`. "Clean" rows (every label of the
dataset 0) give the false-positive rate of *any* violation.

Splits: a row goes to `dev` (30%) or `report` (70%) by a SHA-256 of its normalized text
(NFKC, case-folded, whitespace collapsed), independent of the engine, so a text shared by two
datasets lands in the same split in both. Read errors on `dev` only; quote `report` figures.
Texts are deduplicated per dataset on the same key; duplicates whose labels disagree are
dropped and counted. Literal "\\n" and "\\xf0\\x9f.." escapes are turned back into text.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import json
import re
import subprocess
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV_PERCENT = 30
csv.field_size_limit(10_000_000)


@dataclass(slots=True)
class Row:
    dataset: str
    text: str
    positive: dict[str, bool]  # rule id -> label
    group: str = ""  # sms label name; empty elsewhere
    key: str = ""
    split: str = ""


@dataclass(slots=True)
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    misses: list[str] = field(default_factory=list)
    false_hits: list[str] = field(default_factory=list)


_BYTE_ESCAPES = re.compile(r"(?:\\x[0-9a-fA-F]{2})+")
_CUT_ESCAPE = re.compile(r"\\x[0-9a-fA-F]?$")


def clean_text(raw: str) -> str:
    """Undo the dataset artifacts: literal \\n, \\xNN byte escapes, b'...' remnants."""
    text = raw.replace("\\n", "\n").replace("\\t", " ")
    text = _BYTE_ESCAPES.sub(
        lambda m: bytes.fromhex(m.group(0).replace("\\x", "")).decode("utf-8", "ignore"), text
    )
    if text.startswith(("b'", 'b"')):
        text = text[2:]
    return _CUT_ESCAPE.sub("", text.rstrip("'\"")).strip()


def split_key(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(folded.split())


def assign_split(key: str) -> str:
    bucket = int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16) % 100
    return "dev" if bucket < DEV_PERCENT else "report"


def _read(path: Path, encoding: str = "utf-8") -> Iterator[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as handle:
        yield from csv.DictReader(handle)


def _flag(record: dict[str, str], *names: str) -> bool:
    return any(record[n].strip() == "1" for n in names)


def load_ibrohim(data: Path) -> Iterator[Row]:
    for r in _read(data / "ibrohim2019-hs-abusive" / "re_dataset.csv", "latin-1"):
        yield Row(
            "ibrohim2019",
            clean_text(r["Tweet"]),
            {
                "sara_hate": _flag(r, "HS_Religion", "HS_Race", "HS_Group"),
                "insult_defamation": _flag(r, "Abusive", "HS_Individual"),
                "_clean": not _flag(r, "HS", "Abusive"),
            },
        )


def load_netifier(data: Path) -> Iterator[Row]:
    for name in ("train.csv", "test.csv"):
        for r in _read(data / "netifier-toxicity" / name):
            labels = {
                "sara_hate": _flag(r, "sara"),
                "insult_defamation": _flag(r, "pencemaran_nama_baik"),
                "pornography": _flag(r, "pornografi"),
                "radicalism_terrorism": _flag(r, "radikalisme"),
            }
            labels["_clean"] = not any(labels.values())
            yield Row("netifier", clean_text(r["original_text"]), labels)


def load_judol(data: Path) -> Iterator[Row]:
    for r in _read(data / "judol-youtube" / "dataset_judol_labelled_noauthor.csv"):
        positive = r["label"].strip() == "1"
        yield Row(
            "judol-youtube",
            clean_text(r["comment_text"]),
            {"gambling": positive, "_clean": not positive},
        )


def load_false_news(data: Path) -> Iterator[Row]:
    for r in _read(data / "id-false-news-kaggle" / "Data_latih.csv"):
        text = clean_text(r.get("narasi") or "") or clean_text(r.get("judul") or "")
        if text and r["label"].strip() in {"0", "1"}:
            positive = r["label"].strip() == "1"
            yield Row("id-false-news", text, {"hoax": positive, "_clean": not positive})


SMS_GROUPS = {"0": "normal", "1": "fraud", "2": "promo"}


def load_sms(data: Path) -> Iterator[Row]:
    for r in _read(data / "sms-spam-id" / "dataset_sms_spam_v1.csv"):
        group = SMS_GROUPS.get(r["label"].strip())
        if group:
            yield Row("sms-spam-id", clean_text(r["teks"]), {"_clean": group != "fraud"}, group)


LOADERS = (load_ibrohim, load_netifier, load_judol, load_false_news, load_sms)
# Rule ids that count as a prediction for a mapped rule.
PREDICTS = {"hoax": ("hoax", "known_hoax")}


def prepare(rows: Iterable[Row], split: str, limit: int | None) -> tuple[list[Row], Counter]:
    """Deduplicate per dataset, drop conflicting duplicates, keep the rows of `split`."""
    by_key: dict[tuple[str, str], Row] = {}
    conflicts: set[tuple[str, str]] = set()
    stats: Counter = Counter()
    for row in rows:
        if not row.text:
            stats[f"{row.dataset}:empty"] += 1
            continue
        row.key = split_key(row.text)
        ident = (row.dataset, row.key)
        seen = by_key.get(ident)
        if seen is None:
            by_key[ident] = row
        elif (seen.positive, seen.group) != (row.positive, row.group):
            conflicts.add(ident)
        stats[f"{row.dataset}:duplicates"] += seen is not None
    for ident in conflicts:
        del by_key[ident]
        stats[f"{ident[0]}:conflicting"] += 1
    kept: list[Row] = []
    per_dataset: Counter = Counter()
    for row in by_key.values():
        row.split = assign_split(row.key)
        if row.split != split or (limit and per_dataset[row.dataset] >= limit):
            continue
        per_dataset[row.dataset] += 1
        kept.append(row)
    return kept, stats


def run_engine(rows: list[Row], config_dir: Path) -> tuple[dict[str, tuple[str, ...]], float]:
    """Check each distinct text once; returns violating rule ids per key and checks/second."""
    from bot.checking import MessageFacts, build_engine
    from bot.checking.seed import load_source_seed

    sources_file = config_dir / "sources.yaml"
    sources = load_source_seed(sources_file) if sources_file.exists() else []
    engine = build_engine(config_dir, sources, ())
    texts = {row.key: row.text for row in rows}
    started = time.perf_counter()
    out = {key: engine.check(MessageFacts(text=text)).rule_ids for key, text in texts.items()}
    elapsed = time.perf_counter() - started
    return out, len(texts) / elapsed if elapsed else 0.0


def tally(rows: list[Row], fired: dict[str, tuple[str, ...]], keep_errors: int) -> dict:
    rules: dict[tuple[str, str], Tally] = defaultdict(Tally)
    clean: dict[str, Counter] = defaultdict(Counter)
    sms: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        hits = set(fired[row.key])
        for rule, positive in row.positive.items():
            if rule.startswith("_"):
                continue
            predicted = bool(hits & set(PREDICTS.get(rule, (rule,))))
            t = rules[(rule, row.dataset)]
            if positive and predicted:
                t.tp += 1
            elif positive:
                t.fn += 1
                if len(t.misses) < keep_errors:
                    t.misses.append(row.text)
            elif predicted:
                t.fp += 1
                if len(t.false_hits) < keep_errors:
                    t.false_hits.append(row.text)
            else:
                t.tn += 1
        target = (
            sms[row.group] if row.group else clean[row.dataset] if row.positive["_clean"] else None
        )
        if target is not None:
            target["rows"] += 1
            target["any_violation"] += bool(hits)
            target.update(f"rule:{r}" for r in hits)
    return {"rules": rules, "clean": clean, "sms": sms}


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def rule_metrics(t: Tally) -> dict:
    precision = _ratio(t.tp, t.tp + t.fp)
    recall = _ratio(t.tp, t.tp + t.fn)
    f1 = (
        2 * precision * recall / (precision + recall)
        if precision and recall
        else (0.0 if precision is not None and recall is not None else None)
    )
    return {
        "tp": t.tp,
        "fp": t.fp,
        "fn": t.fn,
        "tn": t.tn,
        "positives": t.tp + t.fn,
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _top_rules(counter: Counter, n: int = 3) -> str:
    items = [(k[5:], v) for k, v in counter.most_common() if k.startswith("rule:")][:n]
    return ", ".join(f"{k} {v}" for k, v in items) or "—"


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _metric_row(rule: str, dataset: str, t: Tally) -> str:
    m = rule_metrics(t)
    rows = t.tp + t.fp + t.fn + t.tn
    scores = (_fmt(m["precision"]), _fmt(m["recall"]), _fmt(m["f1"]))
    return _row(rule, dataset, rows, m["positives"], t.tp, t.fp, t.fn, *scores)


def _rate_row(name: str, c: Counter) -> str:
    rate = _fmt(_ratio(c["any_violation"], c["rows"]))
    return _row(name, c["rows"], c["any_violation"], rate, _top_rules(c))


def render(results: dict, split: str) -> str:
    lines = [
        f"### Rules (split `{split}`)",
        "",
        "| rule | dataset | rows | positives | TP | FP | FN | precision | recall | F1 |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    pooled: dict[str, Tally] = defaultdict(Tally)
    for (rule, dataset), t in sorted(results["rules"].items()):
        lines.append(_metric_row(rule, dataset, t))
        p = pooled[rule]
        p.tp, p.fp, p.fn, p.tn = p.tp + t.tp, p.fp + t.fp, p.fn + t.fn, p.tn + t.tn
    lines += [_metric_row(f"**{rule}**", "all", t) for rule, t in sorted(pooled.items())]
    lines += [
        "",
        "### Any violation on rows labeled clean",
        "",
        "| dataset | clean rows | any violation | FP rate | most frequent rules |",
        "|---|---:|---:|---:|---|",
    ]
    lines += [_rate_row(name, c) for name, c in sorted(results["clean"].items())]
    lines += [
        "",
        "### sms-spam-id: any violation per SMS label (normal, promo: should be ~0)",
        "",
        "| label | rows | any violation | rate | most frequent rules |",
        "|---|---:|---:|---:|---|",
    ]
    lines += [_rate_row(n, results["sms"].get(n, Counter())) for n in ("normal", "promo", "fraud")]
    return "\n".join(lines)


def _errors(results: dict) -> str:
    out = ["", "### Errors (dev split)"]
    for (rule, dataset), t in sorted(results["rules"].items()):
        for title, items in (("missed", t.misses), ("false hits", t.false_hits)):
            out += ["", f"**{rule} / {dataset}: {title}**"]
            out += [f"- {' '.join(text.split())[:300]}" for text in items]
    return "\n".join(out)


def _git_commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip()


def write_json(results: dict, args: argparse.Namespace, meta: dict) -> Path:
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = out_dir / f"eval-{stamp}-{args.split}.json"
    rules_file = args.config_dir / "rules.yaml"
    doc = {
        **meta,
        "split": args.split,
        "limit": args.limit,
        "commit": _git_commit(),
        "rules_sha256": hashlib.sha256(rules_file.read_bytes()).hexdigest(),
        "rules": [
            {"rule": r, "dataset": d, **rule_metrics(t)}
            for (r, d), t in sorted(results["rules"].items())
        ],
        "clean": {k: dict(v) for k, v in results["clean"].items()},
        "sms": {k: dict(v) for k, v in results["sms"].items()},
    }
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=("dev", "report"), default="dev")
    parser.add_argument("--limit", type=int, default=None, help="rows per dataset")
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--config-dir", type=Path, default=ROOT / "config")
    parser.add_argument("--errors", type=int, default=0, help="dev only: errors shown per rule")
    args = parser.parse_args(argv)
    if args.errors and args.split != "dev":
        parser.error("--errors reads individual rows: allowed on --split dev only")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    started = time.perf_counter()
    rows, stats = prepare(
        (row for loader in LOADERS for row in loader(args.data_dir)), args.split, args.limit
    )
    fired, rate = run_engine(rows, args.config_dir)
    results = tally(rows, fired, args.errors)
    meta = {
        "rows": len(rows),
        "distinct_texts": len(fired),
        "checks_per_second": round(rate),
        "dedup": dict(stats),
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(render(results, args.split))
    if args.errors:
        print(_errors(results))
    path = write_json(results, args, meta)
    print(
        f"\n{meta['rows']} rows, {meta['distinct_texts']} distinct texts, "
        f"{meta['checks_per_second']} checks/s, {meta['seconds']} s; dedup {meta['dedup']}"
    )
    print(f"JSON: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
