"""What a kept model folder is: a plain Hugging Face model folder plus ``tokendistill.json``
(the manifest: how the model is prompted and evaluated) and its model card, the checks that
a folder or an output path can be used, ``export`` of a run's kept student and Hub upload.

The stages write kept models with it; ``tokendistill.inference`` reads them. It uses
neither (nor the report). Kept lightweight on purpose: importing this package loads
nothing heavy; each module imports what it needs.
"""
