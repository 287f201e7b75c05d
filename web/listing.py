"""What the results page says about its results: the heading ("Results 11–20 of 510 for
melanoma"; with partial matches after the full ones, "Results 11–20 of 378 for breast cancer,
then 2,421 with only some of the words", or once the page reaches them "Results 371–380 of
2,799 for breast cancer: 378 with all of the words, then 2,421 with only some"), and for a
search that finds nothing, tips that each lead somewhere (the words without quotes, the
search without one of its filters, MeSH synonyms switched on...)."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from search import SearchPage
from web.params import SearchUrls

Chip = tuple[str, str, str]  # (facet, value, "Facet: value label"), as views.active_filters


@dataclass(frozen=True, slots=True)
class Heading:
    first: int  # position of the page's first record in the listing (0: the page lists none)
    last: int
    listed: int  # records the listing pages through: full matches, then partial ones
    total: int  # records matching the query (SearchPage.total)
    more: int  # partial matches listed after the `total` full ones (SearchPage.more)
    query: str  # the text searched (a confident correction, else what was typed)

    @property
    def quoted(self) -> bool:
        """Whether the page should put the query in quotation marks: not when it has its own
        ("breast cancer" in quotes would read ""breast cancer"")."""
        return '"' not in self.query


def heading(page: SearchPage) -> Heading:
    req = page.request
    first = (req.page - 1) * req.size + 1
    shown = len(page.hits)
    return Heading(
        first=first if shown else 0,
        last=first + shown - 1 if shown else 0,
        listed=page.listed,
        total=page.total,
        more=page.more,
        query=(page.corrected or req.q).strip(),
    )


@dataclass(frozen=True, slots=True)
class Tip:
    text: str  # what to try, a sentence
    link: str = ""  # the words put in the sentence's {} as a link (empty: no link)
    href: str = ""

    def html(self) -> Markup:
        if not self.href:
            return escape(self.text)
        anchor = Markup('<a href="{}" rel="nofollow">{}</a>').format(self.href, self.link)
        return escape(self.text).format(anchor)


def tips(page: SearchPage, urls: SearchUrls, chips: list[Chip]) -> list[Tip]:
    """What to try when a search finds nothing, each with a link doing it when one can."""
    req = page.request
    q = req.q.strip()
    out: list[Tip] = []
    if page.suggestion:
        out.append(Tip("Check the spelling: did you mean {}?", page.suggestion,
                       urls.query(page.suggestion)))  # fmt: skip
    elif q:
        out.append(Tip("Check the spelling of your words."))
    if q.count('"') >= 2:
        bare = " ".join(q.replace('"', " ").split())
        out.append(Tip("Search for {} without quotes, so the words need not stand together.",
                       bare, urls.query(bare)))  # fmt: skip
    if len(q.split()) > 1:
        out.append(Tip("Use fewer words, or more general ones."))
    for name, value, text in chips:
        if name == "type" and len(req.selected("type")) == 1:
            out.append(Tip("{}.", f"Search all record types, not only {text.split(': ', 1)[-1]}",
                           urls.toggle(name, value)))  # fmt: skip
        else:
            out.append(Tip("{}.", f"Remove the filter {text}", urls.toggle(name, value)))
    if len(chips) > 1:
        out.append(Tip("{} at once.", "Remove all filters", urls.clear_filters()))
    if q and req.expand == "none":
        out.append(Tip("{}, to match MeSH synonyms of your words too.", "Switch MeSH expansion on",
                       urls.expand("synonyms")))  # fmt: skip
    return out
