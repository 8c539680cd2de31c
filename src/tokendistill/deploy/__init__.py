"""Using a distilled model: what a kept model folder carries (manifest and model card),
export and Hub upload, batched prediction and standalone attribution ("explain").

Kept lightweight on purpose: importing this package loads nothing heavy; each module
imports what it needs.
"""
