"""Diversity of sectors and regions, across the network and among each member's partners."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx

__all__ = ["Diversity", "PartnerDiversity", "blau", "diversity", "partner_diversity", "shannon"]


def blau(categories: Iterable[str]) -> float:
    """Blau's index ``1 - Σ p_k²`` over the shares ``p_k`` of each category: the chance that two draws (with
    replacement) differ. 0 for one category (or none), approaching 1 for many equal ones."""
    counts = Counter(categories)
    total = sum(counts.values())
    return 1.0 - sum((count / total) ** 2 for count in counts.values()) if total else 0.0


def shannon(categories: Iterable[str]) -> float:
    """Shannon entropy ``-Σ p_k ln p_k`` (natural log) over the shares of each category; 0 for one category
    (or none), ``ln k`` for k equal ones."""
    counts = Counter(categories)
    total = sum(counts.values())
    return -sum(count / total * math.log(count / total) for count in counts.values()) if total else 0.0


@dataclass(frozen=True)
class Diversity:
    """Blau and Shannon of one attribute, and how many distinct values it has."""

    blau: float
    shannon: float
    categories: int


def diversity(categories: Iterable[str]) -> Diversity:
    """:func:`blau` and :func:`shannon` of ``categories`` together."""
    values = list(categories)
    return Diversity(blau(values), shannon(values), len(set(values)))


@dataclass(frozen=True)
class PartnerDiversity:
    """The sectors and regions of a member's partners: homogenization risk when low."""

    partners: int
    sector: Diversity
    region: Diversity
    same_sector_share: float | None


def partner_diversity(ties: nx.Graph[str], member: str) -> PartnerDiversity:
    """Diversity of ``member``'s partners' sectors and regions; ``same_sector_share`` is the share of its
    partners in its own sector (``None`` without partners). O(d)."""
    partners = list(ties[member])
    sectors = [ties.nodes[partner]["sector"] for partner in partners]
    regions = [ties.nodes[partner]["region"] for partner in partners]
    own = ties.nodes[member]["sector"]
    same = sum(sector == own for sector in sectors) / len(partners) if partners else None
    return PartnerDiversity(len(partners), diversity(sectors), diversity(regions), same)
