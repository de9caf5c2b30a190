"""Point-cloud processing nodes (Open3D): downsampling, cleaning, normals, cropping."""
