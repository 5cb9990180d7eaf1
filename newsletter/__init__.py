"""newsletter: a bilingual daily newsletter generator for arXiv digests."""

__version__ = "0.1.0"
