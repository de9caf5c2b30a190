"""Classical image operations: colour, geometry, filters, thresholds, masks, instances, drawing."""
