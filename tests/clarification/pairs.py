#!/usr/bin/env python3
"""The labelled (issue, document) pairs for `praden match-clarification`, from real
thaigov.go.th articles in ../shared (read here only, never by praden at run time).

    pairs.py build  [--corpus GZ] [--out tests/data/clarification-pairs.jsonl]
    pairs.py input  --split tune|heldout [--corpus GZ] [--pairs FILE]   > input.jsonl
    pairs.py score  --split tune|heldout [--pairs FILE] < praden-output.jsonl

`build` writes the labels with document ids only (no article text), so the committed file
stays small; `input` joins them with the corpus into the command's input lines, in the
file's order; `score` reads the command's output lines in the same order and prints
precision and recall (overall and by kind of pair).

    pairs.py cross-input --split heldout [--days 3] > cross.jsonl
    pairs.py cross-score --input cross.jsonl < praden-output.jsonl

the deployment-like check: every issue of the split against every article published within
--days of its clarification (the labelled clarification and its copies count as the
positives, everything else as false alarms). Its input lines carry "label" and "kind" beside
the four fields the command reads.

How pairs are made (see README.md next to this file):
- positive: a clarification article — title "<agency> ชี้แจง/แจง …" (any category), or
  "<agency> ยืนยัน/ยัน …" in category ชี้แจงประเด็นสำคัญ or with ไม่เป็นความจริง/ข่าวปลอม —
  whose agency prefix names an agency (the repo's registry, or a name that starts like one:
  กรม…, สำนักงาน…, การ…); the issue title is what a monitor would have written before the
  clarification: the topic of the title (the part after the cue, with "ข้อเรียกร้องให้",
  "ข้อสงสัย", "กรณี" … and the agency's answer cut off), led by a framing word; the agency is
  written as the registry's full name, or for one pair in three its abbreviation;
- negatives for the same issue: two articles of the same or an adjacent day; another
  clarification of another topic within 7 days; and the article within 10 days closest in
  wording to the issue that has no clarification cue in its title or lead (plain news on the
  same topic), when one is close enough. Articles that look like copies of the positive are
  never negatives; a same-topic article with a cue in its lead is left out as ambiguous.
- split by date before any tuning: tune = 2020–2022, heldout = 2023–2024.
"""
import argparse
import gzip
import hashlib
import json
import random
import re
import sys
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CORPUS = ROOT.parent / "shared/data/corpus/thaigov-news-2020-2024h1.jsonl.gz"
DEFAULT_PAIRS = ROOT / "tests/data/clarification-pairs.jsonl"
REGISTRY = ROOT / "crates/praden-detect/data/agencies.tsv"

CUE_RE = re.compile(r"ชี้แจง|แจง|ไม่เป็นความจริง|ข่าวปลอม|ยืนยัน|(?<![ก-ฮ])ยัน|ปฏิเสธ|โต้|ข้อเท็จจริง|ไม่จริง|อย่าหลงเชื่อ")
NOT_CUE_RE = re.compile(r"ประชุมชี้แจง|ชี้แจงแนวทาง|ชี้แจงหลักเกณฑ์|ชี้แจงงบประมาณ|ชี้แจงต่อคณะกรรมาธิการ|ชี้แจงรายละเอียด")
TITLE_RE = re.compile(r"^(?P<prefix>.{2,90}?)\s*(?:ร่วม)?(?P<cue>ชี้แจง|แจง|ยืนยัน|ยัน)\s*(?P<rest>.+)$")
LEADING = re.compile(
    r"^(?:ข้อเรียกร้องให้|ข้อเรียกร้อง|ข้อสงสัยใน|ข้อสงสัย|ข้อวิจารณ์|ข้อร้องเรียน|ข้อกังวลเรื่อง|"
    r"ข้อกังวล|ข้อโต้แย้ง|ประเด็นข้อสงสัย|ประเด็น|กรณี|เรื่อง|เกี่ยวกับ|ข่าว|ว่า|!|:|\s)+"
)
# Phrases that start the agency's answer rather than the topic.
ANSWER = re.compile(r"^(?:ยืนยัน|ยัน|พร้อม|เร่ง|ย้ำ|แนะ|ขอ|เผย|ชี้|ระบุ|เตือน|ไม่เป็นความจริง|โดย|เพื่อ|ทั้งนี้|ดำเนินการ|จึง)")
AGENCY_LIKE = re.compile(r"^(?:กรม|สำนักงาน|สำนัก|กระทรวง|การ(?:ไฟฟ้า|ประปา|รถไฟ|ท่า|ทาง|เคหะ|กีฬา|ยาสูบ|ท่องเที่ยว)|กองทุน|ธนาคาร|สถาบัน|ศูนย์|กองทัพ|องค์การ|บริษัท|คณะกรรมการ)")
FRAMES = ["", "กระแสวิจารณ์", "ข้อร้องเรียน", "กรณี", "ประเด็น"]


def stable(*parts) -> int:
    return int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:8], 16)


def squeeze(s: str) -> str:
    return re.sub(r"\s+", "", s)


def trigrams(s: str) -> set:
    s = squeeze(s)
    return {s[i : i + 3] for i in range(len(s) - 2)}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def containment(a: set, b: set) -> float:
    """Share of a's trigrams found in b."""
    return len(a & b) / len(a) if a else 0.0


def load_registry():
    names = []  # (squeezed pattern, name_th, display abbr)
    for line in REGISTRY.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        abbr = None if cols[0] in ("-", "") else cols[0].lstrip("~")
        name = cols[3].strip()
        pats = [name] + [a for a in cols[4].split("|") if a.strip()]
        for p in pats:
            names.append((squeeze(p), name, abbr))
        for a in [cols[0]] + cols[5].split("|"):
            a = a.strip()
            if a and a != "-" and not a.startswith("~") and len(re.findall(r"[ก-ฮ]", a)) >= 2:
                names.append((squeeze(a), name, abbr))
    # Longest pattern first, so กรมทางหลวงชนบท wins over กรมทางหลวง.
    names.sort(key=lambda x: -len(x[0]))
    return names


def resolve_agency(prefix: str, registry):
    """The agency a title's prefix names: (agency as a monitor writes it, name) or None."""
    p = squeeze(prefix)
    for pat, name, abbr in registry:
        if pat and pat in p and len(pat) >= 2:
            return name, abbr
    raw = prefix.strip()
    if AGENCY_LIKE.match(raw) and 4 <= len(raw) <= 60 and " " not in raw:
        return raw, None
    return None


def topic_of(rest: str) -> str:
    rest = LEADING.sub("", rest.strip())
    phrases = [p for p in rest.split() if p]
    out = []
    for i, ph in enumerate(phrases):
        if i > 0 and ANSWER.match(ph):
            break
        out.append(ph)
        if sum(len(x) for x in out) >= 28:
            break
    topic = " ".join(out)
    # A phrase longer than 70 characters usually runs into the answer.
    return topic[:70].rstrip()


def load_corpus(path):
    rows = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r.get("pub_date") and r.get("title"):
                rows.append(r)
    return rows


def lead_of(r, n=600):
    body = r.get("body") or ""
    title = r["title"].strip()
    lines = [l.strip() for l in body.split("\n")]
    lines = [l for l in lines if l and l != title and title not in l and len(l) >= 30]
    return " ".join(lines)[:n]


def build(args):
    rows = load_corpus(args.corpus)
    registry = load_registry()
    by_day = defaultdict(list)
    for r in rows:
        by_day[r["pub_date"]].append(r)
    tri = {r["id"]: trigrams(r["title"]) for r in rows}

    positives = []
    seen_titles = set()
    for r in rows:
        title = " ".join(r["title"].split())
        if NOT_CUE_RE.search(title):
            continue
        m = TITLE_RE.match(title)
        if not m:
            continue
        cue = m.group("cue")
        official = r.get("category") == "ชี้แจงประเด็นสำคัญ"
        if cue in ("ยืนยัน", "ยัน") and not (official or re.search("ไม่เป็นความจริง|ข่าวปลอม|ไม่จริง", title)):
            continue
        agency = resolve_agency(m.group("prefix"), registry)
        if not agency:
            continue
        topic = topic_of(m.group("rest"))
        if len(squeeze(topic)) < 10:
            continue
        key = squeeze(title)
        if key in seen_titles:  # the same clarification filed twice
            continue
        seen_titles.add(key)
        name, abbr = agency
        h = stable(r["id"])
        written = abbr if abbr and h % 3 == 0 else name
        frame = FRAMES[h % len(FRAMES)]
        issue = f"{frame}{topic}" if frame else topic
        positives.append({"doc": r, "issue": issue, "agency": written})

    pos_ids = {p["doc"]["id"] for p in positives}
    pos_by_day = defaultdict(list)
    for p in positives:
        pos_by_day[p["doc"]["pub_date"]].append(p["doc"])

    def days(d, k):
        d0 = date.fromisoformat(d)
        return [(d0 + timedelta(days=i)).isoformat() for i in range(-k, k + 1)]

    out = []
    for p in positives:
        doc = p["doc"]
        d = doc["pub_date"]
        split = "tune" if d < "2023-01-01" else "heldout"
        rng = random.Random(stable("neg", doc["id"]))
        ptri = tri[doc["id"]]
        itri = trigrams(p["issue"])
        base = {"split": split, "issue_title": p["issue"], "agency": p["agency"], "issue_of": doc["id"]}
        out.append({**base, "kind": "positive", "label": 1, "doc_id": doc["id"], "pub_date": d})

        def not_copy(r):
            return r["id"] != doc["id"] and jaccard(tri[r["id"]], ptri) < 0.5

        used = {doc["id"]}
        # Same or adjacent day, any article.
        pool = [r for dd in days(d, 1) for r in by_day.get(dd, []) if not_copy(r)]
        pool = [r for r in pool if containment(itri, tri[r["id"]]) < 0.5]
        for r in rng.sample(pool, min(2, len(pool))):
            used.add(r["id"])
            out.append({**base, "kind": "same_day", "label": 0, "doc_id": r["id"], "pub_date": r["pub_date"]})
        # Another clarification of another topic.
        pool = [r for dd in days(d, 7) for r in pos_by_day.get(dd, []) if not_copy(r) and r["id"] not in used]
        pool = [r for r in pool if jaccard(tri[r["id"]], ptri) < 0.25 and containment(itri, tri[r["id"]]) < 0.3]
        if pool:
            r = rng.choice(pool)
            used.add(r["id"])
            out.append({**base, "kind": "other_clarification", "label": 0, "doc_id": r["id"], "pub_date": r["pub_date"]})
        # Plain news on the same topic: close in wording, no cue in title or lead.
        best, best_sim = None, 0.0
        for dd in days(d, 10):
            for r in by_day.get(dd, []):
                if r["id"] in used or r["id"] in pos_ids or not not_copy(r):
                    continue
                sim = containment(itri, tri[r["id"]])
                if sim > best_sim:
                    best, best_sim = r, sim
        if best is not None and best_sim >= 0.3:
            ambiguous = CUE_RE.search(best["title"]) or CUE_RE.search(lead_of(best))
            if not ambiguous:
                out.append({**base, "kind": "same_topic", "label": 0, "doc_id": best["id"], "pub_date": best["pub_date"], "topic_similarity": round(best_sim, 3)})

    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        for o in out:
            f.write(json.dumps(o, ensure_ascii=False) + "\n")
    counts = defaultdict(int)
    for o in out:
        counts[(o["split"], o["kind"])] += 1
    for k in sorted(counts):
        print(f"{k[0]:8} {k[1]:20} {counts[k]}", file=sys.stderr)
    print(f"wrote {len(out)} pairs to {args.out}", file=sys.stderr)


def read_pairs(path, split):
    with open(path, encoding="utf-8") as f:
        pairs = [json.loads(l) for l in f if l.strip()]
    return [p for p in pairs if split in (None, "all", p["split"])]


def cmd_input(args):
    pairs = read_pairs(args.pairs, args.split)
    need = {p["doc_id"] for p in pairs}
    docs = {r["id"]: r for r in load_corpus(args.corpus) if r["id"] in need}
    missing = need - docs.keys()
    if missing:
        sys.exit(f"{len(missing)} document ids of {args.pairs} are not in {args.corpus}, e.g. {sorted(missing)[:3]}")
    for p in pairs:
        r = docs[p["doc_id"]]
        line = {"issue_title": p["issue_title"], "agency": p["agency"], "doc_title": r["title"], "doc_body": r.get("body") or ""}
        print(json.dumps(line, ensure_ascii=False))


def cmd_score(args):
    pairs = read_pairs(args.pairs, args.split)
    outs = [json.loads(l) for l in sys.stdin if l.strip()]
    if len(outs) != len(pairs):
        sys.exit(f"{len(outs)} output lines for {len(pairs)} pairs of split {args.split}")
    by_kind = defaultdict(lambda: [0, 0])
    tp = fp = fn = tn = errors = 0
    for p, o in zip(pairs, outs):
        if "error" in o:
            errors += 1
            continue
        pred = bool(o["match"])
        by_kind[p["kind"]][0] += 1
        by_kind[p["kind"]][1] += pred
        if p["label"] and pred:
            tp += 1
        elif p["label"]:
            fn += 1
        elif pred:
            fp += 1
        else:
            tn += 1
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    print(f"split={args.split} pairs={len(pairs)} positives={tp + fn} negatives={fp + tn} errors={errors}")
    print(f"precision={precision:.3f} recall={recall:.3f} (tp={tp} fp={fp} fn={fn} tn={tn})")
    for k, (n, matched) in sorted(by_kind.items()):
        print(f"  {k:20} pairs={n:4} matched={matched}")


def cmd_cross_input(args):
    pairs = [p for p in read_pairs(args.pairs, args.split) if p["label"]]
    rows = load_corpus(args.corpus)
    by_day = defaultdict(list)
    for r in rows:
        by_day[r["pub_date"]].append(r)
    by_id = {r["id"]: r for r in rows}
    for p in pairs:
        pos = by_id[p["doc_id"]]
        ptri = trigrams(pos["title"])
        d0 = date.fromisoformat(pos["pub_date"])
        for i in range(-args.days, args.days + 1):
            for r in by_day.get((d0 + timedelta(days=i)).isoformat(), []):
                copy = r["id"] == pos["id"] or jaccard(trigrams(r["title"]), ptri) >= 0.5
                line = {"issue_title": p["issue_title"], "agency": p["agency"], "doc_title": r["title"],
                        "doc_body": r.get("body") or "", "label": int(copy), "issue_of": p["doc_id"], "doc_id": r["id"]}
                print(json.dumps(line, ensure_ascii=False))


def cmd_cross_score(args):
    with open(args.input, encoding="utf-8") as f:
        inputs = [json.loads(l) for l in f if l.strip()]
    outs = [json.loads(l) for l in sys.stdin if l.strip()]
    if len(outs) != len(inputs):
        sys.exit(f"{len(outs)} output lines for {len(inputs)} input lines")
    tp = fp = fn = 0
    issues = {i["issue_of"] for i in inputs}
    found = set()
    for i, o in zip(inputs, outs):
        pred = bool(o.get("match"))
        if i["label"] and pred:
            tp += 1
            found.add(i["issue_of"])
        elif i["label"]:
            fn += 1
        elif pred:
            fp += 1
    print(f"pairs={len(inputs)} issues={len(issues)} issues_found={len(found)}")
    print(f"precision={tp / max(tp + fp, 1):.3f} recall={tp / max(tp + fn, 1):.3f} (tp={tp} fp={fp} fn={fn}; "
          f"false alarms per issue={fp / max(len(issues), 1):.2f})")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    b.add_argument("--out", type=Path, default=DEFAULT_PAIRS)
    i = sub.add_parser("input")
    i.add_argument("--split", choices=["tune", "heldout", "all"], required=True)
    i.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    i.add_argument("--pairs", type=Path, default=DEFAULT_PAIRS)
    s = sub.add_parser("score")
    s.add_argument("--split", choices=["tune", "heldout", "all"], required=True)
    s.add_argument("--pairs", type=Path, default=DEFAULT_PAIRS)
    c = sub.add_parser("cross-input")
    c.add_argument("--split", choices=["tune", "heldout", "all"], required=True)
    c.add_argument("--days", type=int, default=3)
    c.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    c.add_argument("--pairs", type=Path, default=DEFAULT_PAIRS)
    cs = sub.add_parser("cross-score")
    cs.add_argument("--input", type=Path, required=True)
    args = ap.parse_args()
    {"build": build, "input": cmd_input, "score": cmd_score, "cross-input": cmd_cross_input,
     "cross-score": cmd_cross_score}[args.cmd](args)


if __name__ == "__main__":
    main()
