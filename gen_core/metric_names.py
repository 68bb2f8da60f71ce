"""The keys of a checkpoint's ``metrics`` metadata: written by ``gen_core.evaluate`` and the
trainers, read by the pages, the zoo table, the ranking and the benchmarks, typed once here."""

from __future__ import annotations

FD = "fd_classifier_features"  # Fréchet distance in the dataset classifier's features
FD_SPREAD = "fd_spread"  # its bootstrap spread
FD_REAL = "fd_real_halves"  # the same between two halves of the real data, at the same n
KID = "kid"
KID_SPREAD = "kid_spread"
KID_REAL = "kid_real_halves"
PRECISION = "precision"
PRECISION_REAL = "precision_real_halves"
RECALL = "recall"
RECALL_REAL = "recall_real_halves"
MIN_CLASS = "min_class_fraction"  # the rarest class among samples, as the classifier reads them
MAX_CLASS = "max_class_fraction"
MODE_COLLAPSE = "mode_collapse"
NLL_ELBO = "nll_elbo_nats"  # test negative log-likelihood bounds on binarized pixels
NLL_IWAE = "nll_iwae_nats"
BCE_ELBO = "bce_elbo_nats"  # the same cross-entropies on grey pixels (not likelihoods)
BCE_IWAE = "bce_iwae_nats"
IWAE_K = "iwae_k"
LIKELIHOOD_IMAGES = "likelihood_images"
RECONSTRUCTION_MSE = "test_reconstruction_mse"
CATEGORY_AGREEMENT = "category_agreement"  # InfoGAN: per category value, the share of its majority class
CATEGORY_MAJORITY = "category_majority_class"
CATEGORIES_MATCHED = "categories_matched"
