"""LaTeX -> Unicode on real digest text: what readers see instead of raw ``$\\mathcal{O}(n)$``."""

from __future__ import annotations

import re

import pytest

from newsletter.ingest import read_digest_text
from newsletter.mathtext import latex_to_unicode

from testpaths import shared_digest_files

CASES = [
    # math, from titles and TL;DRs of the digests in ../shared/digests
    (r"$\tilde{O}(\sqrt{kT})$ swap regret", "Õ(√(kT)) swap regret"),
    (r"$\mathcal{O}(n^2)$", "𝒪(n²)"),
    (r"D$^{2}$R$^{2}$OSR: Degradation-Disentangled", "D²R²OSR: Degradation-Disentangled"),
    (r"$μ$Flow: Leveraging Average Images", "μFlow: Leveraging Average Images"),
    (
        r"Masked Diffusion Decoding as $x$-Prediction Flow",
        "Masked Diffusion Decoding as x-Prediction Flow",
    ),
    (r"the discretization timestep $Δ_t$", "the discretization timestep Δₜ"),
    (r"360°$\times$180° field of view", "360°×180° field of view"),
    (r"we propose $\mathtt{DICE}$, a plug-and-play", "we propose DICE, a plug-and-play"),
    (r"复杂度保持在$NP\cap coNP$；修复问题为NP完全", "复杂度保持在NP∩ coNP；修复问题为NP完全"),
    (
        r"pro-White callback gap ($+2.12$ pp, significant at the 1\% level)",
        "pro-White callback gap (+2.12 pp, significant at the 1% level)",
    ),
    (r"$O(n \log n)$ time", "O(n log n) time"),
    (r"$\frac{1}{n+1}$ and $\frac{a}{b}$", "1/(n+1) and a/b"),
    (r"$x_{i,j}$, $e^{-\lambda t}$, $\sum_{i=1}^{n} x_i$", "x_(i,j), e^(-λt), ∑ᵢ₌₁ⁿ xᵢ"),
    (r"$W^\top x$ with $\|x\|_2 \le 1$", "Wᵀ x with ‖x‖₂ ≤ 1"),
    (r"$\mathbf{x}\in\mathbb{R}^{d}$", "x∈ℝᵈ"),
    (r"$\mathcal{L}_{\text{CE}}$ loss", "ℒ_CE loss"),
    (r"an order $ N^{th} $ DMA", "an order Nᵗʰ DMA"),
    (r"\(\alpha + \beta\) and \[x^2\] and $$y^2$$", "α + β and x² and y²"),
    (r"$95%$ of cases", "95% of cases"),
    # text-mode commands, escapes and quotes from abstracts
    (
        r"we introduce \textbf{\texttt{ReBeCA}} (self-\textbf{\texttt{Re}}flection",
        "we introduce ReBeCA (self-Reflection",
    ),
    (r"this is a \emph{binding} failure", "this is a binding failure"),
    (r"the ``concatenate-and-attend'' strategy", "the “concatenate-and-attend” strategy"),
    (r"costs US\$28.31 to US\$40.88", "costs US$28.31 to US$40.88"),
    (r"M\"uller and Erd\H{o}s", "Müller and Erdős"),
    (r"flexible regimes (\eg, 5 steps)", "flexible regimes (e.g., 5 steps)"),
    (r"Code is available \href{https://github.com/x/y}{here}.", "Code is available here."),
    (
        r"(i) $\textit{formal symbolization}\unicode{x2014}$translating",
        "(i) formal symbolization—translating",
    ),
    (r"bare \mathcal{O}(n^2) and \alpha_t too", "bare 𝒪(n²) and αₜ too"),
]

KEPT = [
    # money, not math (Pandoc's rule: a closing $ is never followed by a digit)
    "标注成本仅需$28-$41，而人工标注需470小时",
    "price $5 and $10 each",
    "a lone $ sign and 100% sure, snake_case_name and C++",
    # author-defined macros pylatexenc cannot know: shown as written
    r"we first introduce \dataset, a large-scale dataset",
    r"$\ourmodel_{v2}$ wins",
    "",
]


@pytest.mark.parametrize(("latex", "expected"), CASES)
def test_converts_real_digest_latex(latex: str, expected: str) -> None:
    assert latex_to_unicode(latex) == expected


@pytest.mark.parametrize("text", KEPT)
def test_keeps_what_is_not_latex_or_cannot_be_converted(text: str) -> None:
    assert latex_to_unicode(text) == text


def test_none_and_plain_text() -> None:
    assert latex_to_unicode(None) == ""
    assert latex_to_unicode("No math here: 3 < 4 & 5 > 2.") == "No math here: 3 < 4 & 5 > 2."


def _digest_fields() -> list[str]:
    fields: list[str] = []
    for path in shared_digest_files():
        try:
            digest = read_digest_text(path.read_text(encoding="utf-8"), str(path))
        except Exception:  # noqa: BLE001 - some shared files are not digests; the ingest tests cover them
            continue
        for paper in digest.papers:
            for text in (paper.title, paper.title_translation, paper.summary.tldr, paper.abstract):
                if text and ("$" in text or "\\" in text):
                    fields.append(text)
    return fields


def test_every_digest_text_with_latex_converts_without_losing_words() -> None:
    fields = _digest_fields()
    if not fields:
        pytest.skip("../shared/digests is not present")
    converted_math = 0
    for text in fields:
        result = latex_to_unicode(text)
        # Words outside LaTeX survive: every plain word of 4+ letters is still there.
        plain = re.sub(r"\$[^$]*\$|\\[A-Za-z]+(\{[^{}]*\})*", " ", text)
        for word in re.findall(r"(?<![\\{\w'\"`^~.=])[A-Za-z]{4,}(?![}\w])", plain):
            assert word in result, (word, text[:200], result[:200])
        converted_math += result.count("$") < text.count("$")
    assert converted_math > 30, "expected most $...$ math in the digests to be converted"


def test_known_commands_never_leak_into_the_output() -> None:
    fields = _digest_fields()
    if not fields:
        pytest.skip("../shared/digests is not present")
    leaks = set()
    for text in fields:
        for name in re.findall(
            r"\\(alpha|times|mathcal|mathbb|textbf|emph|textit|sqrt|frac|tilde|cdot|le|geq)\b",
            latex_to_unicode(text),
        ):
            leaks.add((name, text[:120]))
    assert len(leaks) <= 3, sorted(leaks)[:10]
