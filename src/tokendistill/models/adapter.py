"""One API over encoder-decoder and decoder-only models.

Attribution, training and evaluation call only this module; the seq2seq / causal
difference lives here and nowhere else.

Layouts:
* seq2seq: encoder reads the prompt (right-padded); the decoder is teacher-forced on the
  target shifted right behind ``decoder_start_token_id``.
* causal: ``[left-padded framed prompt][right-padded target]`` in one sequence, so prompt
  tokens occupy columns ``[0, P)`` and target tokens ``[P, P+T)`` for every row, and the
  logits that predict the target are the ``T`` positions from ``P-1``. Position ids are
  derived from the attention mask, so left padding changes nothing.

Every prompt is framed (``prompting.py``): plain (special tokens, and ``answer_prefix`` after
a causal prompt) or in the tokenizer's chat template. Embeddings handed in by attribution may
be float32 whatever the model's dtype: they are cast to it on the way in, so gradients reach
the float32 leaf.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from tokendistill.models.answer_scores import answer_logprobs
from tokendistill.models.attention import eager_attention, mean_over_targets
from tokendistill.models.batch import EncodedBatch, Offset, pad_offsets, pad_rows, picked_logprobs
from tokendistill.models.config import AdapterSettings
from tokendistill.models.prompting import prompt_frame
from tokendistill.models.prompts import PromptCutter
from tokendistill.runtime.batching import BatchSize, BatchSizer, map_in_order


class ModelAdapter(ABC):
    """Architecture-neutral operations on a (model, fast tokenizer) pair."""

    architecture: str

    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        settings: AdapterSettings | None = None,
    ) -> None:
        if not getattr(tokenizer, "is_fast", False):
            raise ValueError("a fast tokenizer is required: character offsets come from it")
        if tokenizer.pad_token_id is None:
            raise ValueError("the tokenizer has no pad token; load models through load_model()")
        if tokenizer.eos_token_id is None:
            raise ValueError("the tokenizer has no EOS token; targets could never end")
        self.model = model
        self.tokenizer = tokenizer
        self.settings = settings or AdapterSettings()
        self.max_prompt_tokens = self.settings.max_prompt_tokens
        self.max_target_tokens = self.settings.max_target_tokens
        self.frame = prompt_frame(tokenizer, self.settings, answer_prefix=self.architecture == "causal")
        self._cutter = PromptCutter(tokenizer, self.max_prompt_tokens, self.settings.truncation, self.frame)

    # ----------------------------------------------------------------- encoding
    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def encode(self, prompts: Sequence[str], targets: Sequence[str] | None = None) -> EncodedBatch:
        """Tokenise prompts (with offsets) and targets (ending in EOS) into one padded batch."""
        if targets is not None and len(targets) != len(prompts):
            raise ValueError(f"{len(prompts)} prompts but {len(targets)} targets")
        prompt_rows, offset_rows = self._prompt_tokens(prompts)
        left = self.architecture == "causal"
        pad = self.tokenizer.pad_token_id
        prompt_ids, prompt_mask = pad_rows(prompt_rows, pad, left=left)
        offsets = pad_offsets(offset_rows, prompt_ids.shape[1], left=left)
        target_ids, target_mask = (torch.zeros((len(prompts), 0), dtype=torch.long) for _ in range(2))
        if targets is not None:
            target_ids, target_mask = pad_rows([self._target_tokens(t) for t in targets], pad, left=False)
        return EncodedBatch(prompt_ids, prompt_mask, target_ids, target_mask, offsets)

    def _prompt_tokens(self, prompts: Sequence[str]) -> tuple[list[list[int]], list[list[Offset]]]:
        return self._cutter.encode(prompts)

    def _target_tokens(self, target: str) -> list[int]:
        ids = self.tokenizer(self.target_text(target), add_special_tokens=False)["input_ids"]
        return [*list(ids[: self.max_target_tokens - 1]), self.tokenizer.eos_token_id]

    def target_text(self, target: str) -> str:
        return target

    # ------------------------------------------------------------ forward passes
    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        """Input word embeddings of token ids: [B, L] -> [B, L, H], in the model's dtype."""
        return self.model.get_input_embeddings()(ids)

    def _as_model_input(self, embeds: torch.Tensor) -> torch.Tensor:
        """``embeds`` in the embedding layer's dtype (a differentiable cast; none in float32)."""
        return embeds.to(self.model.get_input_embeddings().weight.dtype)

    @abstractmethod
    def target_logits(
        self, batch: EncodedBatch, prompt_embeds: torch.Tensor | None = None, *, contiguous: bool = False
    ) -> torch.Tensor:
        """Logits that predict each target token: [B, T, V].

        ``prompt_embeds`` ([B, P, H]) replaces the prompt's word embeddings, which is how
        gradient attribution differentiates with respect to them. ``contiguous``: hand the
        output head one contiguous block of positions. With frozen weights, PyTorch runs the
        head over a strided slice as one matrix product per row, each reading the whole
        [V, H] weight (a large cost for big vocabularies); a block is one product. Both give
        the same logits up to float rounding.
        """

    def flat_target_logits(self, batch: EncodedBatch) -> torch.Tensor:
        """``target_logits`` computed without padding (decoder-only models only)."""
        raise ValueError(f"padding-free batches need a decoder-only model, not a {self.architecture} one")

    def target_logprobs(self, batch: EncodedBatch, prompt_embeds: torch.Tensor | None = None) -> torch.Tensor:
        """log p(target_t | prompt, target_<t) per target token: [B, T], 0 at padding."""
        return picked_logprobs(self.target_logits(batch, prompt_embeds), batch)

    @abstractmethod
    def prompt_attention(self, batch: EncodedBatch) -> torch.Tensor:
        """Attention from target positions to prompt tokens, mean over layers, heads and
        target tokens: [B, P] (seq2seq: decoder cross-attention; causal: self-attention)."""

    # --------------------------------------------------------------- inference
    @torch.no_grad()
    def generate(
        self, prompts: Sequence[str], *, max_new_tokens: int | None = None, temperature: float = 0.0
    ) -> list[str]:
        """Greedy answers (or sampled at a ``temperature`` above 0), decoded and stripped."""
        if not prompts:
            return []
        batch = self.encode(prompts).to(self.device)
        out = self.model.generate(
            input_ids=batch.prompt_ids,
            attention_mask=batch.prompt_mask,
            max_new_tokens=max_new_tokens or self.max_target_tokens,
            **({"temperature": temperature, "top_k": 0, "top_p": 1.0} if temperature > 0 else {}),
            do_sample=temperature > 0,
            num_beams=1,
            pad_token_id=self.tokenizer.pad_token_id,
            eos_token_id=self.tokenizer.eos_token_id,
        )
        new_tokens = self._generated_part(out, batch)
        texts = self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
        return [t.strip() for t in texts]

    @abstractmethod
    def _generated_part(self, output: torch.Tensor, batch: EncodedBatch) -> torch.Tensor: ...

    @torch.no_grad()
    def score_choices(
        self,
        prompts: Sequence[str],
        choices: Sequence[Sequence[str]],
        *,
        batch_size: BatchSize | BatchSizer = 32,
    ) -> list[list[float]]:
        """Summed target log-probability of every candidate answer (rank classification).
        Each prompt runs once for all its candidates (``answer_scores``); ``batch_size``
        counts prompts, in consecutive batches that halve on out-of-memory."""

        def scores(rows: slice) -> list[list[float]]:
            scored = answer_logprobs(self, prompts[rows], choices[rows])
            return [[total for total, _ in group] for group in scored]

        return map_in_order(batch_size, len(prompts), scores)


class Seq2SeqAdapter(ModelAdapter):
    architecture = "seq2seq"

    def decoder_inputs(self, target_ids: torch.Tensor) -> torch.Tensor:
        """The decoder's teacher-forced input: ``target_ids`` shifted right behind the start token."""
        start = self.model.config.decoder_start_token_id
        if start is None:
            start = self.model.generation_config.decoder_start_token_id
        if start is None:
            raise ValueError("the model has no decoder_start_token_id on its config")
        shifted = target_ids.new_full(target_ids.shape, self.tokenizer.pad_token_id)
        shifted[:, 0] = start
        shifted[:, 1:] = target_ids[:, :-1]
        return shifted

    def _forward(self, batch: EncodedBatch, prompt_embeds: torch.Tensor | None, **kwargs):
        inputs = (
            {"inputs_embeds": self._as_model_input(prompt_embeds)}
            if prompt_embeds is not None
            else {"input_ids": batch.prompt_ids}
        )
        return self.model(
            **inputs,
            attention_mask=batch.prompt_mask,
            decoder_input_ids=self.decoder_inputs(batch.target_ids),
            use_cache=False,
            **kwargs,
        )

    def target_logits(
        self, batch: EncodedBatch, prompt_embeds: torch.Tensor | None = None, *, contiguous: bool = False
    ) -> torch.Tensor:
        return self._forward(batch, prompt_embeds).logits  # the decoder's output is one block already

    def prompt_attention(self, batch: EncodedBatch) -> torch.Tensor:
        with eager_attention(self.model):
            out = self._forward(batch, None, output_attentions=True)
        # cross_attentions: layers x [B, heads, T, P]
        stacked = torch.stack([a.float() for a in out.cross_attentions]).mean(dim=(0, 2))  # [B, T, P]
        return mean_over_targets(stacked, batch.target_mask)

    def _generated_part(self, output: torch.Tensor, batch: EncodedBatch) -> torch.Tensor:
        return output


class CausalAdapter(ModelAdapter):
    """Decoder-only models: the framed prompt is followed by the target and EOS. In plain format
    ``target_prefix`` (a space) keeps BPE word boundaries natural after ``answer_prefix``; in
    chat format the answer opens the assistant's turn, as the model's own replies do."""

    architecture = "causal"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.answer_prefix = self.settings.answer_prefix
        self.target_prefix = "" if self.settings.prompt_format == "chat" else " "

    def target_text(self, target: str) -> str:
        return self.target_prefix + target

    def _full_inputs(self, batch: EncodedBatch, prompt_embeds: torch.Tensor | None) -> dict:
        mask = torch.cat([batch.prompt_mask, batch.target_mask], dim=1)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        if prompt_embeds is None:
            inputs = {"input_ids": torch.cat([batch.prompt_ids, batch.target_ids], dim=1)}
        else:
            target_embeds = self.embed(batch.target_ids)
            inputs = {"inputs_embeds": torch.cat([self._as_model_input(prompt_embeds), target_embeds], dim=1)}
        return {**inputs, "attention_mask": mask, "position_ids": positions, "use_cache": False}

    def target_logits(
        self, batch: EncodedBatch, prompt_embeds: torch.Tensor | None = None, *, contiguous: bool = False
    ) -> torch.Tensor:
        n_prompt, n_target = batch.prompt_ids.shape[1], batch.target_ids.shape[1]
        if n_target == 0:
            raise ValueError("target_logits needs targets")
        # Only the T+1 last positions are projected to the vocabulary (the "floor" cost).
        keep: int | torch.Tensor = n_target + 1
        if contiguous:
            # The T positions as an index: indexing copies them into one block, which the
            # projection runs as one matrix product instead of one per row.
            keep = torch.arange(n_prompt - 1, n_prompt - 1 + n_target, device=batch.prompt_ids.device)
        out = self.model(**self._full_inputs(batch, prompt_embeds), logits_to_keep=keep)
        return out.logits[:, :n_target]

    def flat_target_logits(self, batch: EncodedBatch) -> torch.Tensor:
        """``target_logits`` with no padding computed: the rows' real tokens in one sequence,
        position ids restarting at 0 on every row and no attention mask, so the model's
        attention keeps the rows apart (flash attention's variable-length path, or
        transformers' packed-sequence mask for sdpa and eager, which on CPU costs more than the
        padding it saves); checked once per run (``training/layouts.py``). [B, T, V]; padded
        target positions repeat the row's last real one (masked anyway)."""
        mask = torch.cat([batch.prompt_mask, batch.target_mask], dim=1).bool()
        ids = torch.cat([batch.prompt_ids, batch.target_ids], dim=1)[mask]  # row by row, in order
        lengths = mask.sum(-1)
        starts = lengths.cumsum(0) - lengths
        positions = torch.arange(len(ids), device=ids.device) - starts.repeat_interleave(lengths)
        # Row b's target token j is predicted at its prompt's last position plus j.
        n_prompt, n_target = batch.prompt_mask.sum(-1), batch.target_mask.sum(-1)
        steps = torch.arange(batch.target_ids.shape[1], device=ids.device)
        keep = starts[:, None] + n_prompt[:, None] - 1 + torch.minimum(steps[None, :], n_target[:, None] - 1)
        out = self.model(
            input_ids=ids[None, :],
            position_ids=positions[None, :],
            use_cache=False,
            logits_to_keep=keep.flatten(),
        )
        return out.logits.view(*keep.shape, -1)

    def prompt_attention(self, batch: EncodedBatch) -> torch.Tensor:
        n_prompt, n_target = batch.prompt_ids.shape[1], batch.target_ids.shape[1]
        with eager_attention(self.model):
            out = self.model(**self._full_inputs(batch, None), output_attentions=True, logits_to_keep=1)
        # attentions: layers x [B, heads, L, L]; rows that predict the target, prompt columns.
        rows = slice(n_prompt - 1, n_prompt - 1 + n_target)
        stacked = torch.stack([a[:, :, rows, :n_prompt].float() for a in out.attentions]).mean(dim=(0, 2))
        return mean_over_targets(stacked, batch.target_mask)

    def _generated_part(self, output: torch.Tensor, batch: EncodedBatch) -> torch.Tensor:
        return output[:, batch.prompt_ids.shape[1] :]


def make_adapter(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, settings: AdapterSettings | None = None
) -> ModelAdapter:
    """The adapter for ``model``'s architecture (decided by ``config.is_encoder_decoder``);
    ``settings`` default to ``AdapterSettings()``."""
    cls = Seq2SeqAdapter if model.config.is_encoder_decoder else CausalAdapter
    return cls(model, tokenizer, settings)
