"""Writing masks and annotations in the formats training pipelines, annotation tools and
photogrammetry software read: semantic / instance / panoptic PNG, COCO, EXR, exclusion masks.

Every exporter takes the objects of one image (``instances``) or of every frame of a video
(``series``), writes each file atomically, replaces only files Thyra wrote (unless
``overwrite``), and outputs what it wrote so the cache notices a deleted file.
"""
