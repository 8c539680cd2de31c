"""The pipeline's stages, one module each (prepare, teacher, attribute, rationales,
distributions, students, analyze, report): each builds its keyed artifacts through
``tokendistill.runtime`` from its config slice and what the stages before it produced."""
