"""Reports of what a graph found: an annotated picture and a Markdown/JSON list of the regions."""
