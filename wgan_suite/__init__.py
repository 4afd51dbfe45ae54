"""Reproducibility and ablation suite for "Wasserstein GAN" (Arjovsky, Chintala, Bottou 2017)."""

__version__ = "0.1.0"
