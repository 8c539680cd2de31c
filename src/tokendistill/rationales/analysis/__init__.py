"""Analyses over stored attributions: gold overlap, evidence hits, method agreement,
faithfulness; their typed result (``AnalysisResult``) and flat tables."""

from tokendistill.rationales.analysis.agreement import (
    Agreement,
    jaccard,
    method_agreement,
    rankdata,
    spearman,
)
from tokendistill.rationales.analysis.aopc import AopcResult, aopc, plan_aopc
from tokendistill.rationales.analysis.config import AnalysisConfig
from tokendistill.rationales.analysis.evidence import EvidenceResult, evidence_hits, evidence_spans
from tokendistill.rationales.analysis.faithfulness import (
    FaithfulnessResult,
    content_regions,
    faithfulness,
    keep_only,
    plan_faithfulness,
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
from tokendistill.rationales.analysis.scale import LogProbFn
from tokendistill.rationales.analysis.scorer import ErasureScorer
from tokendistill.rationales.analysis.summary import analyze_records, erasure_rows
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
    "ErasureScorer",
    "ErasureScores",
    "EvidenceResult",
    "EvidenceRow",
    "FaithfulnessResult",
    "FaithfulnessRow",
    "LogProbFn",
    "OverlapResult",
    "OverlapRow",
    "agreement_table",
    "analysis_table",
    "analyze_records",
    "aopc",
    "content_regions",
    "erasure_rows",
    "evidence_hits",
    "evidence_spans",
    "faithfulness",
    "gold_answer_words",
    "gold_overlap",
    "is_hit",
    "jaccard",
    "k_sweep",
    "keep_only",
    "method_agreement",
    "plan_aopc",
    "plan_faithfulness",
    "rankdata",
    "remove_units",
    "spearman",
    "table_to_json",
    "write_table_json",
]
