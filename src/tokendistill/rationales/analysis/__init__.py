"""Analyses over stored attributions: gold overlap, evidence hits, method agreement,
faithfulness; their typed result (``AnalysisResult``) and flat tables."""

from tokendistill.rationales.analysis.agreement import (
    Agreement,
    jaccard,
    method_agreement,
    rankdata,
    spearman,
)
from tokendistill.rationales.analysis.aopc import AopcResult, aopc
from tokendistill.rationales.analysis.config import AnalysisConfig
from tokendistill.rationales.analysis.evidence import EvidenceResult, evidence_hits, evidence_spans
from tokendistill.rationales.analysis.faithfulness import (
    FaithfulnessResult,
    ScoreFn,
    content_regions,
    faithfulness,
    keep_only,
    remove_units,
)
from tokendistill.rationales.analysis.overlap import (
    OverlapResult,
    gold_answer_words,
    gold_overlap,
    is_hit,
    k_sweep,
)
from tokendistill.rationales.analysis.result import (
    AgreementRow,
    AnalysisResult,
    AopcRow,
    ErasureScores,
    EvidenceRow,
    FaithfulnessRow,
    OverlapRow,
)
from tokendistill.rationales.analysis.summary import analyze_records, aopc_rows, faithfulness_rows
from tokendistill.rationales.analysis.table import (
    agreement_table,
    analysis_table,
    table_to_json,
    write_table_json,
)

__all__ = [
    "Agreement",
    "AgreementRow",
    "AnalysisConfig",
    "AnalysisResult",
    "AopcResult",
    "AopcRow",
    "ErasureScores",
    "EvidenceResult",
    "EvidenceRow",
    "FaithfulnessResult",
    "FaithfulnessRow",
    "OverlapResult",
    "OverlapRow",
    "ScoreFn",
    "agreement_table",
    "analysis_table",
    "analyze_records",
    "aopc",
    "aopc_rows",
    "content_regions",
    "evidence_hits",
    "evidence_spans",
    "faithfulness",
    "faithfulness_rows",
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
    "table_to_json",
    "write_table_json",
]
