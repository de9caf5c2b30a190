"""Labelling nodes: name and describe instances with vision-language models or CLIP."""
