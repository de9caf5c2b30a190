"""3D reconstruction nodes: photos and video to cameras, depth and point clouds."""
