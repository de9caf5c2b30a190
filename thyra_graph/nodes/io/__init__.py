"""Reading and writing files: images, videos and frame sampling."""
