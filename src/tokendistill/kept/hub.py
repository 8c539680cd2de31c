"""Uploading a model folder to the Hugging Face Hub (``huggingface_hub.HfApi``), with one-line
errors: offline mode, an unreachable Hub, a refused token or repository."""

from __future__ import annotations

from pathlib import Path

from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

from tokendistill.errors import DeployError
from tokendistill.models.hub_errors import first_line


def push_to_hub(folder: Path, repo_id: str, *, private: bool | None = None, token: str | None = None) -> str:
    """Create ``repo_id`` (if needed) and upload ``folder`` into it; returns the commit URL."""
    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, private=private, exist_ok=True)
        commit = api.upload_folder(
            repo_id=repo_id, folder_path=folder, commit_message="Upload a model distilled with tokendistill"
        )
    except Exception as err:
        if not _is_hub_failure(err):
            raise
        raise DeployError(_describe(repo_id, err)) from err
    return str(getattr(commit, "commit_url", commit))


def _chain(err: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    current: BaseException | None = err
    while current is not None and current not in out:
        out.append(current)
        current = current.__cause__ or current.__context__
    return out


def _is_hub_failure(err: BaseException) -> bool:
    """Network and Hub failures (HTTP errors, offline mode, transport errors from the HTTP
    client, which huggingface_hub does not wrap); a programming error is re-raised as it is."""
    return any(
        isinstance(e, (OSError, HfHubHTTPError)) or type(e).__module__.split(".")[0].startswith("httpx")
        for e in _chain(err)
    )


def _describe(repo_id: str, err: BaseException) -> str:
    chain = _chain(err)
    if any(isinstance(e, OfflineModeIsEnabled) for e in chain):
        return f"cannot upload to {repo_id}: HF_HUB_OFFLINE is set; unset it where there is network"
    http = next((e for e in chain if isinstance(e, HfHubHTTPError)), None)
    if http is not None:
        return f"the Hugging Face Hub refused the upload to {repo_id} ({first_line(http)})"
    reason = first_line(chain[-1])
    return f"could not reach the Hugging Face Hub to upload {repo_id}; check the network ({reason})"
