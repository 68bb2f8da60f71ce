"""Maps of latent spaces: UMAP / PCA projections cached on disk, and whole-dataset maps."""
