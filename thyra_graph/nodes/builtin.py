"""The built-in nodes, port types and param kinds, registered through the ``thyra.nodes``
entry point like any plugin.

Discovery imports this module and reads ``THYRA_NODES``, ``THYRA_TYPES`` and ``THYRA_PARAM_KINDS``. The list is explicit so that what
ships is visible in one place; node modules import their heavy libraries (OpenCV, SciPy)
inside the node functions, so importing this module stays fast.
"""

from __future__ import annotations

from thyra_graph.engine.declaration import NodeSpec
from thyra_graph.engine.param_kinds import BUILTIN_PARAM_KINDS, ParamKind
from thyra_graph.types import ALL_TYPES, PortType

from .image import color, components, drawing, filters, geometry, mask_morphology, thresholding
from .io import frame_sampling, image_files, video_files
# mask and annotation export (issue 3)
from .export import coco, exr, instance_masks, panoptic, photogrammetry, semantic_png
from .instances import filtering, remapping
from .io import coco_files
# counting tiny objects (issue 4)
from .count import blobs, clumps, density, export as count_export, instances as count_instances
from .count import learned, synthetic, tiled, video as count_video, visualise
from .count import from_dots, model_files  # learning to count from dots (issue 16)
# ocean-wave continuation (issue 7): Taichi imports only when a solve runs
from .sim import render_waves, synthetic_sea, wave_init, wave_solve
# SAM 2 segmentation (issue 5): torch, transformers and sam2 import only when a node runs
from .segment import crop_segment, points, prune_frames, sam2_points, sam2_video, sweep, tiled as segment_tiled
# labelling with vision-language models and CLIP, and reports (issue 8)
from .label import clip as label_clip, local_vlm, vlm
# a picture of clouds, meshes and cameras (issue 14, 3d-preview)
from .report import render_3d
from .report import annotated_image, text_report
# 3D from stereo, depth and point clouds: meshing and 3D files (issue 14, 3d-stereo)
from .recon import backproject, fuse, stereo_depth
from .pointcloud import crop as pointcloud_crop, processing as pointcloud_processing
from .mesh import poisson, simplify
from .export import depth_files, geometry_files
from .io import ply_files
# 3D reconstruction: structure from motion, multi-view stereo, COLMAP files (issue 14)
from .recon import mvs as recon_mvs, sfm as recon_sfm, synthetic_scene as recon_synthetic_scene
from .export import colmap as export_colmap
from .io import colmap_files
# 3D from learned models: monocular depth, VGGT, multi-view segmentation (issue 14, 3d-learned)
from .recon import align_depth, depth as recon_depth, vggt as recon_vggt
from .segment import multiview as segment_multiview

THYRA_NODES: list[NodeSpec] = [
    # io
    image_files.load_image,
    image_files.save_image,
    video_files.load_video,
    video_files.video_frame,
    video_files.save_video,
    frame_sampling.sample_frames,
    # image
    color.to_gray,
    geometry.resize,
    filters.blur,
    thresholding.threshold,
    mask_morphology.morphology,
    components.contours,
    drawing.overlay,
    # export: masks and annotations for training pipelines, annotation tools, photogrammetry
    semantic_png.semantic_png,
    instance_masks.instance_masks,
    panoptic.panoptic,
    coco.coco,
    exr.exr,
    photogrammetry.photogrammetry_masks,
    coco_files.load_coco,
    # instances: choosing and renaming objects
    filtering.filter_instances,
    remapping.remap,
    # count: tiny objects by blobs, clumps, density maps, tiles, networks and over video
    blobs.blobs,
    clumps.clumps,
    density.density_map,
    count_instances.from_instances,
    tiled.tiled,
    learned.learned_density,
    from_dots.learn_density,
    from_dots.apply_density,
    model_files.save_counting_model,
    model_files.load_counting_model,
    count_video.count_video,
    visualise.heatmap_overlay,
    count_export.save_points,
    synthetic.synthetic_scene,
    # sim: ocean-wave continuation from a photo (initial state, Taichi solve, rendering)
    synthetic_sea.synthetic_sea,
    wave_init.wave_init,
    wave_solve.wave_solve,
    render_waves.render_waves,
    # segment: SAM 2 from clicks and boxes, sweeping, video propagation, tiles and crops
    sam2_points.sam2_points,
    points.grid,
    points.from_contours,
    sweep.sam2_auto,
    segment_tiled.tiled,
    crop_segment.crop_segment,
    sam2_video.sam2_video,
    prune_frames.prune_frames,
    # label: naming and describing instances; report: what a person reads
    vlm.vlm,
    local_vlm.local_vlm,
    label_clip.clip,
    annotated_image.annotated_image,
    render_3d.render_3d,  # issue 14, 3d-preview
    text_report.text_report,
    # recon, pointcloud, mesh: stereo depth, depth to points, fusion, Open3D processing, 3D files (3d-stereo)
    stereo_depth.stereo_depth,
    backproject.backproject,
    fuse.fuse,
    pointcloud_processing.downsample,
    pointcloud_processing.clean,
    pointcloud_processing.normals,
    pointcloud_crop.crop,
    poisson.poisson,
    simplify.simplify,
    geometry_files.ply,
    geometry_files.obj,
    geometry_files.glb,
    depth_files.depth,
    ply_files.load_ply,
    # recon (3d-sfm): synthetic scene, structure from motion, multi-view stereo, COLMAP models
    recon_synthetic_scene.synthetic_scene,
    recon_sfm.sfm,
    recon_mvs.mvs,
    export_colmap.colmap,
    colmap_files.load_colmap,
    # recon: learned depth, its alignment, VGGT, multi-view segmentation (3d-learned)
    recon_depth.depth,
    align_depth.align_depth,
    recon_vggt.vggt,
    segment_multiview.multiview,
]

# The built-in port types and param kinds, registered through the same path as a plugin's.
THYRA_TYPES: tuple[type[PortType], ...] = ALL_TYPES
THYRA_PARAM_KINDS: tuple[ParamKind, ...] = BUILTIN_PARAM_KINDS
