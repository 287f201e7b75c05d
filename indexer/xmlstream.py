"""Safe streaming XML for every parser: one place for lxml's settings.

Upstream files name DTDs that are not shipped (pubmed_190101.dtd, desc2014.dtd): never load
or fetch them, never expand entities, drop comments and processing instructions.
"""

from __future__ import annotations

from typing import Any

from lxml import etree


def iterparse(source: Any, **kwargs: Any) -> etree.iterparse:
    """lxml.etree.iterparse with the safe settings (extra keyword arguments pass through)."""
    return etree.iterparse(
        source,
        load_dtd=False,
        no_network=True,
        resolve_entities=False,
        remove_comments=True,
        remove_pis=True,
        **kwargs,
    )
