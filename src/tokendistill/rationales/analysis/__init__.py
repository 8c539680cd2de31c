"""Analyses over stored attributions: gold overlap, method agreement, faithfulness, tables."""

from tokendistill.rationales.analysis.agreement import (
    Agreement,
    jaccard,
    method_agreement,
    rankdata,
    spearman,
)
from tokendistill.rationales.analysis.evidence import EvidenceResult, evidence_hits
from tokendistill.rationales.analysis.faithfulness import (
    FaithfulnessResult,
    ScoreFn,
    comprehensiveness,
    content_regions,
    faithfulness,
    keep_only,
    remove_units,
    sufficiency,
)
from tokendistill.rationales.analysis.overlap import (
    OverlapResult,
    gold_answer_words,
    gold_overlap,
    is_hit,
    k_sweep,
)
from tokendistill.rationales.analysis.table import (
    agreement_table,
    analysis_table,
    table_to_json,
    write_table_json,
)

__all__ = [
    "Agreement",
    "EvidenceResult",
    "FaithfulnessResult",
    "OverlapResult",
    "ScoreFn",
    "agreement_table",
    "analysis_table",
    "comprehensiveness",
    "content_regions",
    "evidence_hits",
    "faithfulness",
    "gold_answer_words",
    "gold_overlap",
    "is_hit",
    "jaccard",
    "k_sweep",
    "keep_only",
    "method_agreement",
    "rankdata",
    "remove_units",
    "spearman",
    "sufficiency",
    "table_to_json",
    "write_table_json",
]
