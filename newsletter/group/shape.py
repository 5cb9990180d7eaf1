"""Give a day's assignment an editor's shape: a handful of sections of a useful size.

An editor does not print a section per subtopic that happens to have one paper; they choose
the day's granularity first. The rules, as functions of the day's size N:

- no section smaller than ``min_section_size(N)``: a tiny section is dissolved and each of its
  papers moves to its next-best subtopic still present (a sibling it also matched), else to
  the biggest remaining section of the same area;
- at most ``max_sections(N)`` sections, dissolving the smallest first;
- no section over a third of the day (for N >= 30): its least certain papers move to their
  next-best section, as long as that one stays under the cap too;
- a subtopic split out of a broader parent ("LLMs for medicine" out of "domain applications")
  stands on its own only with at least ``SPLIT_FACTOR`` times the smallest section's size of
  papers, else its papers are folded into the parent: editors split a broad topic only on a
  day that has a lot of it;
- "Other" only for papers that matched no subtopic at all.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from newsletter.group.score import PaperScores

OTHER = "other"

# Sections per day: about 1.6 * sqrt(N) at most (60 papers -> 12, 137 -> 19, 532 -> 37).
SECTIONS_PER_SQRT_N = 1.6
# Smallest section: grows like sqrt(N) too (60 papers -> 2, 137 -> 4, 532 -> 7), so a big day
# keeps a "Security" section of a dozen papers while a small day does not print one-paper
# sections. Measured: 3 on a 60-paper day dissolves real two-paper topics and costs agreement.
MIN_SECTION_PER_SQRT_N = 0.3
MAX_SECTION_SHARE = 1 / 3
CAP_FROM_N = 30  # below this, a day is too small for the one-third rule to mean anything
# A split-off subtopic needs twice the smallest section's size. Measured on the labelled
# language days: the experts kept medicine in "domain applications" with 2-3 medical papers
# of 52-64, and gave it its own section with 11 of 115.
SPLIT_FACTOR = 2


def max_sections(n: int) -> int:
    return max(1, round(SECTIONS_PER_SQRT_N * math.sqrt(n)))


def min_section_size(n: int) -> int:
    if n < 8:
        return 1
    return max(2, round(MIN_SECTION_PER_SQRT_N * math.sqrt(n)))


def max_section_size(n: int) -> int:
    return n if n < CAP_FROM_N else math.ceil(n * MAX_SECTION_SHARE)


class _Assignment:
    def __init__(
        self,
        scores: Sequence[PaperScores],
        order: Mapping[str, int],
        area_of: Mapping[str, str],
        parent_of: Mapping[str, str | None] | None = None,
    ) -> None:
        self.parent_of = parent_of or {}
        self.scores = {s.paper_id: s for s in scores}
        self.order = order  # taxonomy position of every subtopic key
        self.area_of = area_of
        self.section_of: dict[str, str] = {}
        for paper in scores:
            self.section_of[paper.paper_id] = paper.best or OTHER

    def sizes(self) -> dict[str, int]:
        sizes: dict[str, int] = {}
        for key in self.section_of.values():
            sizes[key] = sizes.get(key, 0) + 1
        return sizes

    def members(self, key: str) -> list[str]:
        return [pid for pid, section in self.section_of.items() if section == key]

    def _fallback(self, paper_id: str, origin: str, live: set[str]) -> str:
        """Biggest remaining section of the dissolved section's area (or the paper's area)."""
        area = self.area_of.get(origin) or self.scores[paper_id].area_hint
        sizes = self.sizes()
        siblings = [k for k in live if k != OTHER and self.area_of.get(k) == area]
        if siblings:
            return min(siblings, key=lambda k: (-sizes.get(k, 0), self.order[k]))
        return OTHER

    def dissolve(self, key: str) -> None:
        live = set(self.section_of.values()) - {key}
        for paper_id in self.members(key):
            choices = [k for k, _ in self.scores[paper_id].ranked if k in live]
            self.section_of[paper_id] = (
                choices[0] if choices else self._fallback(paper_id, key, live)
            )

    def fold_small_splits(self, smallest: int) -> None:
        """Fold split-off subtopics with fewer than SPLIT_FACTOR * ``smallest`` papers."""
        sizes = self.sizes()
        for key, parent in self.parent_of.items():
            if parent and 0 < sizes.get(key, 0) < SPLIT_FACTOR * smallest:
                for paper_id in self.members(key):
                    self.section_of[paper_id] = parent

    def cap(self, limit: int) -> None:
        """Move the least certain papers out of sections above ``limit``."""
        for key in sorted(self.sizes(), key=lambda k: self.order.get(k, len(self.order))):
            if key == OTHER:
                continue
            excess = self.sizes()[key] - limit
            if excess <= 0:
                continue
            movable = []
            for paper_id in self.members(key):
                scores = self.scores[paper_id]
                own = scores.score(key)
                for alternative, value in scores.ranked:
                    if alternative != key and alternative in self.sizes():
                        movable.append((own - value, paper_id, alternative))
                        break
            for _, paper_id, alternative in sorted(movable):
                if excess <= 0:
                    break
                if self.sizes().get(alternative, 0) < limit:
                    self.section_of[paper_id] = alternative
                    excess -= 1


def shape_assignment(
    scores: Sequence[PaperScores],
    order: Mapping[str, int],
    area_of: Mapping[str, str],
    parent_of: Mapping[str, str | None] | None = None,
) -> dict[str, str]:
    """Paper id -> section key (a subtopic key or ``OTHER``), shaped to an editor's size."""
    n = len(scores)
    assignment = _Assignment(scores, order, area_of, parent_of)
    smallest = min_section_size(n)
    most = max_sections(n)
    assignment.fold_small_splits(smallest)

    def rank(item: tuple[str, int]) -> tuple[int, int]:
        key, size = item
        return (size, -order.get(key, len(order)))  # among equals, dissolve the later subtopic

    while True:
        sizes = {k: v for k, v in assignment.sizes().items() if k != OTHER}
        if len(sizes) <= 1:
            break
        key, size = min(sizes.items(), key=rank)
        if size >= smallest and len(sizes) + (OTHER in assignment.sizes()) <= most:
            break
        assignment.dissolve(key)

    assignment.cap(max_section_size(n))
    return dict(assignment.section_of)
