"""Two tokenizers side by side: which tokens of one stand for which tokens of the other, and
where two tokenizations of the same text reach the same character.

Soft labels across tokenizers (``soft_labels.match: aligned``, after GOLD's token alignment,
TRL's ``GOLDTrainer``) compare the teacher's and the student's next-token distributions only
where both have read the same characters of the answer (``aligned_positions``), and only over
tokens that add the same text in both vocabularies (``VocabularyMap``). A token's text is its
*piece*: what it adds after a whole word, so a word-initial token carries its leading space
(``" the"``: GPT-2's ``Ġthe``, SentencePiece's ``▁the``, WordPiece's ``the``) and a
continuation does not (``"the"``: ``the``, ``the``, ``##the``), whatever the tokenizer's own
convention; special tokens get a key of their own, and every EOS is one key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from transformers import PreTrainedTokenizerBase

from tokendistill.models.adapter import ModelAdapter

__all__ = ["EOS_PIECE", "VocabularyMap", "aligned_positions", "target_spans", "token_pieces"]

EOS_PIECE = "\x00eos"
_PROBES = ("a", "the", "x")  # a one-token word to decode each token after


def token_pieces(tokenizer: PreTrainedTokenizerBase, ids: Iterable[int] | None = None) -> dict[int, str]:
    """The piece of each of ``ids`` (default: the whole vocabulary)."""
    ids = range(len(tokenizer)) if ids is None else ids
    special = set(tokenizer.all_special_ids)
    probe = _probe(tokenizer)
    before = tokenizer.decode(probe) if probe else ""
    pieces = {}
    for i in ids:
        if i == tokenizer.eos_token_id:
            pieces[i] = EOS_PIECE
        elif i in special:
            pieces[i] = "\x00" + str(tokenizer.convert_ids_to_tokens(i))
        else:
            text = tokenizer.decode([*probe, i], clean_up_tokenization_spaces=False)
            pieces[i] = text[len(before) :] if text.startswith(before) else text
    return pieces


def _probe(tokenizer: PreTrainedTokenizerBase) -> list[int]:
    for word in _PROBES:
        ids = tokenizer(word, add_special_tokens=False)["input_ids"]
        if len(ids) == 1 and tokenizer.decode(ids) == word:
            return ids
    return []


class VocabularyMap:
    """The student's token for each piece of another tokenizer (teacher pieces pass the
    student's normaliser first: a lowercasing student maps ``" The"`` and ``" the"`` alike).
    Where two student tokens share a piece (WordPiece decodes ``,`` and ``##,`` alike) the
    first is taken; ``same``: the teacher has the student's very vocabulary, so every token is
    itself."""

    def __init__(self, student: PreTrainedTokenizerBase, *, same: bool = False) -> None:
        self.same = same
        self._normalizer = getattr(getattr(student, "backend_tokenizer", None), "normalizer", None)
        self._ids: dict[str, int] = {}
        for i, piece in ({} if same else token_pieces(student)).items():
            self._ids.setdefault(piece, i)

    def student_id(self, piece: str) -> int | None:
        if not piece.startswith("\x00") and self._normalizer is not None:
            piece = self._normalizer.normalize_str(piece)
        return self._ids.get(piece)

    def student_ids(self, pieces: Mapping[int, str], ids: Iterable[int]) -> list[int | None]:
        if self.same:
            return list(ids)
        return [self.student_id(pieces[i]) for i in ids]


def aligned_positions(
    first: Sequence[tuple[int, int]], second: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Pairs (i, j) of target positions, one per character offset at which both tokenizations
    (each token's (start, end) in the same text) have read exactly the text before it: there
    both models predict what follows the same prefix. The first position of each tokenization
    with that offset is taken (an empty token does not start another pair)."""
    a, b = _boundaries(first), _boundaries(second)
    return [(a[c], b[c]) for c in sorted(a.keys() & b.keys())]


def _boundaries(spans: Sequence[tuple[int, int]]) -> dict[int, int]:
    out: dict[int, int] = {}
    covered = 0
    for i, (_, end) in enumerate(spans):
        out.setdefault(covered, i)
        covered = max(covered, end)
    return out


def target_spans(adapter: ModelAdapter, target: str) -> list[tuple[int, int]]:
    """The characters of ``target`` that each of its target tokens (as ``adapter.encode`` makes
    them) covers, as (start, end); EOS gets the empty span where the kept tokens end, and a
    token of the target's prefix alone an empty span at 0."""
    text = adapter.target_text(target)
    cut = len(text) - len(target)
    encoded = adapter.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    spans = [
        (min(max(s - cut, 0), len(target)), min(max(e - cut, 0), len(target)))
        for s, e in encoded["offset_mapping"][: adapter.max_target_tokens - 1]
    ]
    end = max((e for _, e in spans), default=0)
    return [*spans, (end, end)]
