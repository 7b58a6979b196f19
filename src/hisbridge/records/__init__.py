"""Records of other institutions: index and documents behind a current grant, cache, viewer model."""
