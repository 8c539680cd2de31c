"""Attribution methods; each is one class registered in ``tokendistill.attribution.registry``."""
