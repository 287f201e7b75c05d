"""Related items on a real index: link recovery (quality) and lookup latency.

    python bench/related.py --index DIR [--tune] [--latency] [--limit N]

Quality, with the explicit links hidden from the scorer (find_related(..., explicit=False):
references and NCT ids are neither listed nor excluded, and the scorer never reads them):
- trial -> articles: for every indexed trial whose references cite indexed articles, how many of
  those articles are among its top-10 related articles (recall@10; macro over trials and micro
  over links);
- article -> trials: every indexed article whose DataBankList names an indexed trial, and also the
  other article-trial links of the data (an NCT id named in the abstract, and the trial citing
  the article), with the trial among the article's top-10 related trials.
`--tune` runs the same over a small grid of Tuning settings (search/related_similar.py).

Latency: engine.related(id) (what a trial page asks for: trials, articles with explicit links,
MeSH) for every trial of the index, in index order, in a fresh engine after one warm-up lookup.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from search import fields as f  # noqa: E402
from search.bitsets import iter_bits  # noqa: E402
from search.engine import SearchEngine  # noqa: E402
from search.related import _NCT, find_related  # noqa: E402
from search.related_similar import DEFAULT, Tuning  # noqa: E402

K = 10
# The first version's settings (it also took compound parts such as "il2" as key terms).
BASELINE = Tuning(mesh_share=0.5, pool_min_match=3, rerank=1000)


@dataclass(frozen=True)
class Link:
    source: str  # the record whose related list is checked
    target: str  # the linked record that should be in it
    kind: str  # how they are linked in the data


def records(engine: SearchEngine, kind: str) -> list[dict]:
    view = engine.reader().view()
    return [view.record(d) for d in iter_bits(view.term(f.TYPE, kind))]


def find_links(engine: SearchEngine) -> tuple[list[Link], list[Link]]:
    """(trial -> article links, article -> trial links) between records of the index."""
    ds = engine.reader().view()
    articles, trials = ds.term(f.TYPE, f.ARTICLE), ds.term(f.TYPE, f.TRIAL)
    to_articles, to_trials = [], []
    for t in records(engine, f.TRIAL):
        for ref in t["references"]:
            if ref["pmid"] and ds.term(f.ID, ref["pmid"]) & articles:
                to_articles.append(Link(t["nct_id"], ref["pmid"], f"{ref['type']} reference"))
                to_trials.append(Link(ref["pmid"], t["nct_id"], "cited by the trial"))
    for a in records(engine, f.ARTICLE):
        text = " ".join([a["title"], *(s["text"] for s in a["abstract"])])
        named = [(n, "DataBankList") for n in a["nct_ids"]]
        named += [(n, "named in the abstract") for n in _NCT.findall(text) if n not in a["nct_ids"]]
        for nct, kind in dict(named).items():
            if ds.term(f.ID, nct) & trials:
                to_trials.append(Link(a["pmid"], nct, kind))
    return to_articles, to_trials


def ranks(engine: SearchEngine, links: list[Link], section: str, tuning: Tuning) -> list[int]:
    """Rank (1-based) of each link's target in its source's related list; 0 if not in top K."""
    out = []
    cache: dict[str, list[str]] = {}
    for link in links:
        if link.source not in cache:
            view = engine.reader().view()
            related = find_related(view, link.source, K, explicit=False, tuning=tuning)
            cache[link.source] = [i.id for i in getattr(related, section).items]
        ids = cache[link.source]
        out.append(ids.index(link.target) + 1 if link.target in ids else 0)
    return out


def recall(links: list[Link], found: list[int]) -> tuple[float, float]:
    """(macro recall@K over sources, micro recall@K over links)."""
    by_source: dict[str, list[int]] = {}
    for link, r in zip(links, found, strict=True):
        by_source.setdefault(link.source, []).append(r)
    if not links:
        return 0.0, 0.0
    macro = statistics.mean(sum(1 for r in rs if r) / len(rs) for rs in by_source.values())
    micro = sum(1 for r in found if r) / len(found)
    return macro, micro


def quality(engine: SearchEngine, tunings: dict[str, Tuning]) -> None:
    to_articles, to_trials = find_links(engine)
    print(
        f"trial -> article links: {len(to_articles)} from "
        f"{len({x.source for x in to_articles})} trials; article -> trial links: "
        f"{len(to_trials)} from {len({x.source for x in to_trials})} articles "
        f"({sum(1 for x in to_trials if x.kind == 'DataBankList')} by DataBankList)\n"
    )
    print("| setting | trial->articles macro R@10 | micro | article->trials macro R@10 | micro |")
    print("|---|---|---|---|---|")
    details = {}
    for name, tuning in tunings.items():
        ra = ranks(engine, to_articles, "articles", tuning)
        rt = ranks(engine, to_trials, "trials", tuning)
        (ma, ia), (mt, it) = recall(to_articles, ra), recall(to_trials, rt)
        print(f"| {name} | {ma:.3f} | {ia:.3f} | {mt:.3f} | {it:.3f} |")
        details[name] = (ra, rt)
    for name, (ra, rt) in details.items():
        print(f"\nRanks with '{name}' (0 = not in the top {K}):")
        for link, r in [*zip(to_articles, ra, strict=True), *zip(to_trials, rt, strict=True)]:
            print(f"  {link.source:>12} -> {link.target:<12} {link.kind:<24} {r}")


def latency(engine: SearchEngine) -> None:
    ids = [t["nct_id"] for t in records(engine, f.TRIAL)]
    engine.related(ids[0])  # opens the index, builds the per-version caches
    times = []
    start = time.perf_counter()
    for nct in ids:
        t = time.perf_counter()
        engine.related(nct)
        times.append((time.perf_counter() - t) * 1000)
    wall = time.perf_counter() - start
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))]
    print(
        f"related lookup over {len(ids):,} trials: median {statistics.median(times):.1f} ms, "
        f"p95 {p95:.1f} ms, max {times[-1]:.1f} ms, mean {statistics.mean(times):.1f} ms "
        f"(total {wall:.1f} s)"
    )


def grid() -> dict[str, Tuning]:
    out = {"baseline (first version)": BASELINE, "default (tuned)": DEFAULT}
    for share in (0.0, 0.25, 0.75, 1.0):
        out[f"mesh_share={share}"] = replace(DEFAULT, mesh_share=share)
    for m in (1, 2, 4):
        out[f"pool_min_match={m}"] = replace(DEFAULT, pool_min_match=m)
    for n in (10, 30, 50):
        out[f"key_terms={n}"] = replace(DEFAULT, key_terms=n)
    out["max_df=0.05"] = replace(DEFAULT, max_df=0.05)
    out["rerank=1000 (exact BM25F for all)"] = replace(DEFAULT, rerank=1000)
    with_description = dict(DEFAULT.sections, description=0.5)
    out["description=0.5"] = replace(DEFAULT, sections=with_description)
    out["major_bonus=0"] = replace(DEFAULT, major_bonus=0.0)
    out["depth_base=1 (no depth)"] = replace(DEFAULT, depth_base=1.0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", required=True)
    parser.add_argument("--tune", action="store_true", help="compare a grid of settings")
    parser.add_argument("--latency", action="store_true", help="time the lookup of every trial")
    args = parser.parse_args()
    if args.latency:
        latency(SearchEngine(args.index))
        return
    engine = SearchEngine(args.index)
    tunings = grid() if args.tune else {"baseline (first version)": BASELINE, "default": DEFAULT}
    quality(engine, tunings)


if __name__ == "__main__":
    main()
