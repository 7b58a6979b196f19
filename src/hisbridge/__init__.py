"""hisbridge: a hospital gateway to China's public-health platforms."""

__all__ = ["__version__"]
__version__ = "0.1.0"
