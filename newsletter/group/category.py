"""Mode "category": one section per primary arXiv category, in the digest's order."""

from __future__ import annotations

import re
from collections.abc import Sequence

from newsletter.model import Bilingual, Paper, Section

# Names of the categories seen in digests; others show as their code.
CATEGORY_NAMES: dict[str, tuple[str, str]] = {
    "cs.AI": ("Artificial Intelligence", "人工智能"),
    "cs.AR": ("Hardware Architecture", "硬件架构"),
    "cs.CC": ("Computational Complexity", "计算复杂性"),
    "cs.CE": ("Computational Engineering", "计算工程"),
    "cs.CG": ("Computational Geometry", "计算几何"),
    "cs.CL": ("Computation and Language", "计算与语言"),
    "cs.CR": ("Cryptography and Security", "密码学与安全"),
    "cs.CV": ("Computer Vision", "计算机视觉"),
    "cs.CY": ("Computers and Society", "计算机与社会"),
    "cs.DB": ("Databases", "数据库"),
    "cs.DC": ("Distributed Computing", "分布式计算"),
    "cs.DL": ("Digital Libraries", "数字图书馆"),
    "cs.DM": ("Discrete Mathematics", "离散数学"),
    "cs.DS": ("Data Structures and Algorithms", "数据结构与算法"),
    "cs.ET": ("Emerging Technologies", "新兴技术"),
    "cs.FL": ("Formal Languages", "形式语言"),
    "cs.GR": ("Graphics", "图形学"),
    "cs.GT": ("Game Theory", "博弈论"),
    "cs.HC": ("Human-Computer Interaction", "人机交互"),
    "cs.IR": ("Information Retrieval", "信息检索"),
    "cs.IT": ("Information Theory", "信息论"),
    "cs.LG": ("Machine Learning", "机器学习"),
    "cs.LO": ("Logic in Computer Science", "计算机科学中的逻辑"),
    "cs.MA": ("Multiagent Systems", "多智能体系统"),
    "cs.MM": ("Multimedia", "多媒体"),
    "cs.NE": ("Neural and Evolutionary Computing", "神经与演化计算"),
    "cs.NI": ("Networking", "网络"),
    "cs.PL": ("Programming Languages", "编程语言"),
    "cs.RO": ("Robotics", "机器人"),
    "cs.SD": ("Sound", "声音"),
    "cs.SE": ("Software Engineering", "软件工程"),
    "cs.SI": ("Social and Information Networks", "社会与信息网络"),
    "cs.SY": ("Systems and Control", "系统与控制"),
    "eess.AS": ("Audio and Speech Processing", "音频与语音处理"),
    "eess.IV": ("Image and Video Processing", "图像与视频处理"),
    "eess.SP": ("Signal Processing", "信号处理"),
    "eess.SY": ("Systems and Control", "系统与控制"),
    "math.NA": ("Numerical Analysis", "数值分析"),
    "math.OC": ("Optimization and Control", "优化与控制"),
    "quant-ph": ("Quantum Physics", "量子物理"),
    "stat.ML": ("Machine Learning (Statistics)", "机器学习（统计）"),
}

UNCATEGORISED = Bilingual(en="Uncategorised", zh="未分类")


def category_slug(category: str) -> str:
    """'cs.CV' -> 'cs-cv'; 'astro-ph.GA' -> 'astro-ph-ga'."""
    return re.sub(r"[^a-z0-9]+", "-", category.lower()).strip("-") or "uncategorised"


def category_title(category: str) -> Bilingual:
    names = CATEGORY_NAMES.get(category)
    if names is None:
        return Bilingual(en=category, zh=category)
    return Bilingual(en=f"{names[0]} ({category})", zh=f"{names[1]} ({category})")


def group_by_category(papers: Sequence[Paper]) -> tuple[Section, ...]:
    order: list[str | None] = []
    members: dict[str | None, list[str]] = {}
    for paper in papers:
        category = paper.primary_category
        if category not in members:
            order.append(category)
            members[category] = []
        members[category].append(paper.id)
    sections = []
    for category in order:
        if category is None:
            sections.append(Section("uncategorised", UNCATEGORISED, tuple(members[None])))
        else:
            sections.append(
                Section(category_slug(category), category_title(category), tuple(members[category]))
            )
    return tuple(sections)
