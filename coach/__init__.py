"""Back coach: a local camera form coach for lower-back exercises."""
