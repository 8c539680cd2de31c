"""The run's report: the typed report data (``data``), the HTML page and Markdown tables built
from it, plots and the verdicts that say what the run measured."""
