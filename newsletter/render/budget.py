"""Fit the email into ``config.email.max_bytes`` of encoded message, degrading step by step.

The steps, in the order a reader would accept them:

1. everything in full, with the configured author lists;
2. author lists cut to 3 ("et al. (12)");
3. the text part keeps the TL;DRs of as many papers as fit, titles and links for the rest
   (the HTML part, which nearly everyone sees, keeps them all);
4. author lists cut to the first author (text part as in 3);
5. fewer papers in full: the first N of a round-robin over the sections, so every topic keeps
   its first papers, with Highlights always whole. The others are listed under their section
   as one-line links (full titles, then shortened titles, then arXiv ids), or, when the web
   archive is configured, behind one "N more on the web" link to the section on the page.
   N is the largest that fits; among the link styles, the first that still leaves
   ``MIN_FULL_PAPERS`` in full wins (a day of 500 papers is better served by a dozen summaries
   and 500 titles a reader can scan than by 30 summaries and 500 bare ids).

Measuring a candidate means composing the MIME message (~10 ms per 100 KB), so the search
estimates first: each paper's fragments are cached (see ``fragments``), and the size of "the
first N in full" is the N = 0 size plus each paper's cost in full minus its cost as a link.
Only the estimated best N, and its neighbours when the estimate was off, are measured.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import replace

from newsletter.model import Edition, RenderedEmail
from newsletter.render import EmailPlan, EmailReport, Renderer, priority_order
from newsletter.render.fragments import link_bytes

log = logging.getLogger(__name__)

MIN_FULL_PAPERS = 12
LINK_STEPS = ("title", "short", "id")
MAX_MEASURES_PER_STEP = 8


def _wire_bytes(text: str) -> int:
    """UTF-8 size with CRLF line ends: what 8bit transfer encoding sends for ``text``."""
    return len(text.encode("utf-8")) + text.count("\n")


class _Search:
    def __init__(
        self, renderer: Renderer, edition: Edition, measure: Callable[[RenderedEmail], int]
    ) -> None:
        self.renderer = renderer
        self.edition = edition
        self.measure = measure
        self.budget = renderer.config.email.max_bytes
        self.fragments = renderer.fragments(edition)
        self.order = [
            (edition.sections[s].entries[e], f"{s + 1}.{e + 1}") for s, e in priority_order(edition)
        ]
        self.total = len(self.order)
        self.web = renderer.web_url(edition) is not None
        self.overhead: int | None = None  # measured size minus wire bytes of the bodies
        self.measured: dict[EmailPlan, tuple[RenderedEmail, int]] = {}

    # -- sizes -------------------------------------------------------------------------------
    def real(self, plan: EmailPlan) -> tuple[RenderedEmail, int]:
        if plan not in self.measured:
            rendered = self.renderer.email(self.edition, plan)
            size = self.measure(rendered)
            if self.overhead is None:
                self.overhead = size - _wire_bytes(rendered.html) - _wire_bytes(rendered.text)
            self.measured[plan] = (rendered, size)
        return self.measured[plan]

    def estimate(self, plan: EmailPlan) -> int:
        """Size of ``plan``'s message: its bodies' wire bytes plus the measured overhead."""
        if self.overhead is None:
            return self.real(plan)[1]
        if plan in self.measured:
            return self.measured[plan][1]
        rendered = self.renderer.email(self.edition, plan)
        return _wire_bytes(rendered.html) + _wire_bytes(rendered.text) + self.overhead

    def text_bytes(self, index: int, plan: EmailPlan, brief: bool) -> int:
        entry, number = self.order[index]
        return _wire_bytes(self.fragments.text(entry, number, plan.max_authors, brief))

    def paper_cost(self, index: int, plan: EmailPlan) -> int:
        """Bytes that showing paper ``index`` in full adds over listing it."""
        entry, _ = self.order[index]
        brief = plan.text_full is not None and index >= plan.text_full
        full = _wire_bytes(self.fragments.html(entry, plan.max_authors))
        full += self.text_bytes(index, plan, brief)
        return full - (0 if self.web else link_bytes(entry, plan.link_text))

    def summary_cost(self, index: int, plan: EmailPlan) -> int:
        """Bytes that keeping paper ``index``'s TL;DRs in the text part adds."""
        return self.text_bytes(index, plan, False) - self.text_bytes(index, plan, True)

    def walk(self, size: int, cost: Callable[[int], int]) -> int:
        """How many papers, in priority order, fit when each adds ``cost(i)`` to ``size``."""
        for index in range(self.total):
            size += cost(index)
            if size > self.budget:
                return index
        return self.total

    def fit(
        self, plan: EmailPlan, name: str, estimate: int, cost: Callable[[int], int]
    ) -> tuple[EmailPlan, RenderedEmail, int]:
        """The largest value of ``plan.<name>`` near ``estimate`` whose measured size fits."""
        n = estimate
        best: tuple[EmailPlan, RenderedEmail, int] | None = None
        for _ in range(MAX_MEASURES_PER_STEP):
            candidate = replace(plan, **{name: n})
            rendered, size = self.real(candidate)
            if size <= self.budget:
                if best is None or n > getattr(best[0], name):
                    best = (candidate, rendered, size)
                if n >= self.total or size + cost(n) > self.budget:
                    break
                if replace(plan, **{name: n + 1}) in self.measured:
                    break
                n += 1
            else:
                if best is not None or n == 0:
                    break
                average = max(1, sum(cost(i) for i in range(n)) // max(1, n))
                n = max(0, n - max(1, math.ceil((size - self.budget) / average)))
        if best is None:
            candidate = replace(plan, **{name: 0})
            rendered, size = self.real(candidate)
            return candidate, rendered, size
        return best

    # -- the ladder ----------------------------------------------------------------------------
    def ladder(self) -> list[tuple[int, bool]]:
        """(authors shown, text part trimmed) for the steps before papers are hidden."""
        configured = self.renderer.config.email.max_authors
        steps = [
            (configured, False),
            (min(configured, 3), False),
            (min(configured, 3), True),
            (1, True),
        ]
        return list(dict.fromkeys(steps))

    def run(self) -> tuple[RenderedEmail, EmailReport]:
        steps: list[str] = []
        for authors, trim_text in self.ladder():
            if not trim_text:
                plan = EmailPlan(authors)
                zero = replace(plan, full_papers=0)
                if (
                    self.total == 0
                    or self.walk(self.estimate(zero), lambda i, p=zero: self.paper_cost(i, p))
                    >= self.total
                ):
                    rendered, size = self.real(plan)
                    if size <= self.budget:
                        return rendered, self.report(plan, rendered, size, steps)
                    steps.append(f"{plan.describe(self.total)}: {size:,} bytes > {self.budget:,}")
                else:
                    steps.append(
                        f"{plan.describe(self.total)}: over {self.budget:,} bytes (estimated)"
                    )
                continue
            plan = EmailPlan(authors, text_full=0)
            zero = replace(plan, full_papers=0)
            # Walk up from "no paper in full" first: it stops early when the day is far too
            # big, where estimating "all in full" would render every paper.
            fits_all = self.walk(self.estimate(zero), lambda i, p=zero: self.paper_cost(i, p))
            base = self.estimate(plan) if fits_all >= self.total else self.budget + 1
            if base > self.budget:
                steps.append(f"{plan.describe(self.total)}: over {self.budget:,} bytes (estimated)")
                continue
            estimate = self.walk(base, lambda i, p=plan: self.summary_cost(i, p))
            plan, rendered, size = self.fit(
                plan, "text_full", estimate, lambda i, p=plan: self.summary_cost(i, p)
            )
            if size <= self.budget:
                return rendered, self.report(plan, rendered, size, steps)
            steps.append(f"{plan.describe(self.total)}: {size:,} bytes > {self.budget:,}")
        return self.hide_papers(steps)

    def hide_papers(self, steps: list[str]) -> tuple[RenderedEmail, EmailReport]:
        authors = self.ladder()[-1][0]
        chosen: tuple[EmailPlan, RenderedEmail, int] | None = None
        link_steps = ("title",) if self.web else LINK_STEPS
        for link_text in link_steps:
            plan = EmailPlan(authors, 0, 0, link_text)  # type: ignore[arg-type]
            estimate = self.walk(self.estimate(plan), lambda i, p=plan: self.paper_cost(i, p))
            chosen = self.fit(
                plan, "full_papers", estimate, lambda i, p=plan: self.paper_cost(i, p)
            )
            plan, rendered, size = chosen
            enough = (plan.full_papers or 0) >= min(MIN_FULL_PAPERS, self.total)
            if size <= self.budget and (enough or link_text == link_steps[-1]):
                break
            steps.append(
                f"{plan.describe(self.total, web=self.web)}: {size:,} bytes, too few in full"
            )
        assert chosen is not None
        plan, rendered, size = chosen
        if size > self.budget:
            log.warning("email is %d bytes even at its most compact (budget %d)", size, self.budget)
        return rendered, self.report(plan, rendered, size, steps)

    def report(
        self, plan: EmailPlan, rendered: RenderedEmail, size: int, steps: list[str]
    ) -> EmailReport:
        shown, linked = self.renderer.coverage(self.edition, plan)
        if steps:  # say what was finally chosen after what was tried
            verdict = "fits" if size <= self.budget else "STILL OVER"
            described = plan.describe(self.total, web=self.web)
            steps = [*steps, f"{described}: {size:,} bytes, {verdict}"]
        return EmailReport(
            size=size,
            html_bytes=len(rendered.html.encode("utf-8")),
            plan=plan,
            shown=shown,
            linked=linked,
            fits=size <= self.budget,
            steps=tuple(steps),
        )


def fit_email(
    renderer: Renderer, edition: Edition, measure: Callable[[RenderedEmail], int]
) -> tuple[RenderedEmail, EmailReport]:
    return _Search(renderer, edition, measure).run()
